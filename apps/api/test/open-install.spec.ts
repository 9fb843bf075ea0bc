import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiErrorBody, type ConversationDto, generateApiKey } from '@switchboard/contracts';
import { capturingLogger, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** No admin key, no shared key, no keys in the database: a single-user laptop install. */
describe('api: open install', () => {
  const log = capturingLogger('warn');
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(testConfig({ auth: { cache_ttl_ms: 200 } }), { logger: log.logger });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('warns loudly at start that authentication is off', () => {
    const warnings = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.some((w) => w.msg.startsWith('AUTHENTICATION IS OFF'))).toBe(true);
  });

  it('serves everyone as one anonymous user, whatever token they send, until the first key exists', async () => {
    const created = await api.request<ConversationDto>('POST', '/api/conversations', { body: { title: 'mine' } });
    expect(created.status).toBe(201);
    expect(created.body.owner_key_id).toBeNull();
    expect((await api.request('GET', `/api/conversations/${created.body.id}`)).status).toBe(200);
    // Clients such as Open WebUI always send some token: on an open install it is not checked, as on /v1.
    expect((await api.request('GET', `/api/conversations/${created.body.id}`, { key: 'sb-anything' })).status).toBe(200);

    // Admin routes stay closed: the anonymous caller is a user, told how to get an admin key.
    const refused = await api.request<ApiErrorBody>('POST', '/api/keys', { body: { name: 'first', role: 'admin' } });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ type: 'authentication_error', code: 'admin_key_required', param: null });
    expect(refused.body.error.message).toContain('SWITCHBOARD_ADMIN_KEY');

    // The first key (made as the CLI makes it) closes the install: at once here, within auth.cache_ttl_ms elsewhere.
    const { secret, prefix, hash } = generateApiKey();
    await api.db.apiKeys.create({ name: 'first', role: 'admin', prefix, hash });
    let closed = false;
    for (let i = 0; i < 250 && !closed; i++) {
      closed = (await api.request('GET', '/api/conversations')).status === 401;
      if (!closed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(closed).toBe(true);
    expect((await api.request('GET', '/api/conversations', { key: 'sb-anything' })).status).toBe(401);
    expect((await api.request('GET', '/api/conversations', { key: secret })).status).toBe(200);
    expect((await api.request('GET', `/api/conversations/${created.body.id}`, { key: secret })).status).toBe(200);
  });
});
