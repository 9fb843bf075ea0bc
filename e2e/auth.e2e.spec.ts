import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApiKeyDto, CreatedApiKeyDto } from '@switchboard/contracts';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import OpenAI from 'openai';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';

const ADMIN = 'sb-e2e-auth-admin-key';
let upstream: FakeUpstream;
let platform: PlatformProcess;

const api = async <T>(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${platform.urls.api}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
};
const v1 = async (path: string, key?: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${platform.urls.gateway}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  upstream = await startFakeUpstream({ reply: () => ({ type: 'completion', chunks: ['ok'] }), models: ['m1'] });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN}, cache_ttl_ms: 300 }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, api_key: upstream-secret, models: [m1] }
auto_pick: { priority: [fake] }
`,
  });
}, 60000);

afterAll(async () => {
  await platform?.stop();
  await cleanUp(platform);
  await upstream?.close();
});

describe('one authenticator for /v1 and /api (built platform, one process)', () => {
  it('refuses a wrong key with the same OpenAI-shaped error on /v1 and /api', async () => {
    const gateway = await v1('/v1/models', 'sb-wrong');
    const rest = await api('GET', '/api/agents', 'sb-wrong');
    expect(gateway.status).toBe(401);
    expect(rest.status).toBe(401);
    const expected = { message: 'Invalid or revoked API key', type: 'authentication_error', param: null, code: 'invalid_api_key' };
    expect(gateway.body).toEqual({ error: expected });
    expect(rest.body).toEqual({ error: expected });
    const missing = await v1('/v1/models');
    expect(missing.body).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
    expect((await api('GET', '/api/agents')).body).toEqual(missing.body);
  });

  it('records last_used_at for /v1 traffic, and a key revoked through the api stops working on /v1 at once', async () => {
    const created = await api<CreatedApiKeyDto>('POST', '/api/keys', ADMIN, { name: 'client' });
    expect(created.status).toBe(201);
    const client = new OpenAI({ baseURL: `${platform.urls.gateway}/v1`, apiKey: created.body.key, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('ok');

    // Only /v1 used this key; its last-used time is written in the next batch (auth.cache_ttl_ms).
    let lastUsed: string | null = null;
    for (let i = 0; i < 250 && !lastUsed; i++) {
      const page = await api<{ data: ApiKeyDto[] }>('GET', '/api/keys', ADMIN);
      lastUsed = page.body.data.find((k) => k.id === created.body.id)?.last_used_at ?? null;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).not.toBeNull();

    expect((await api('DELETE', `/api/keys/${created.body.id}`, ADMIN)).status).toBe(200);
    // The gateway shares the api's key cache in this process, so the revocation needs no wait.
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
