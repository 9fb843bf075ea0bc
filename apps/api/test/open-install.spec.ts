import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ConversationDto, type CreatedApiKeyDto } from '@switchboard/contracts';
import { capturingLogger, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** No admin key, no shared key, no keys in the database: a single-user laptop install. */
describe('api: open install', () => {
  const log = capturingLogger('warn');
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(testConfig(), { logger: log.logger });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('warns loudly at start that authentication is off', () => {
    const warnings = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.some((w) => w.msg.startsWith('AUTHENTICATION IS OFF'))).toBe(true);
  });

  it('serves requests without a key as one anonymous owner, until the first key exists', async () => {
    const created = await api.request<ConversationDto>('POST', '/api/conversations', { body: { title: 'mine' } });
    expect(created.status).toBe(201);
    expect(created.body.owner_key_id).toBeNull();
    expect((await api.request('GET', `/api/conversations/${created.body.id}`)).status).toBe(200);
    // A wrong key is still wrong, even on an open install.
    expect((await api.request('GET', '/api/conversations', { key: 'sb-wrong' })).status).toBe(401);

    const key = await api.request<CreatedApiKeyDto>('POST', '/api/keys', { body: { name: 'first', role: 'admin' } });
    expect(key.status).toBe(201);

    // The install is closed from now on.
    expect((await api.request('GET', '/api/conversations')).status).toBe(401);
    expect((await api.request('GET', '/api/conversations', { key: key.body.key })).status).toBe(200);
    expect((await api.request('GET', `/api/conversations/${created.body.id}`, { key: key.body.key })).status).toBe(200);
  });
});
