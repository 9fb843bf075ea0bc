import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apiKeyDisplayPrefix,
  type ApiErrorBody,
  type ApiKeyDto,
  type CreatedApiKeyDto,
  type PageResponse,
} from '@switchboard/contracts';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

describe('api: keys', () => {
  let api: TestApi;
  const create = (body: unknown, key = ADMIN_KEY) => api.request<CreatedApiKeyDto>('POST', '/api/keys', { key, body });

  beforeAll(async () => {
    api = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY } }));
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('creates a key and shows its secret once; the list never has the secret or its hash', async () => {
    const created = await create({ name: 'ci', rate_limit_per_minute: 120 });
    expect(created.status).toBe(201);
    const secret = created.body.key;
    expect(secret).toMatch(/^sb-[A-Za-z0-9_-]{32,}$/);
    expect(created.body).toMatchObject({ name: 'ci', role: 'user', prefix: apiKeyDisplayPrefix(secret), rate_limit_per_minute: 120, revoked_at: null });
    expect(created.body).not.toHaveProperty('hash');

    const stored = await api.db.apiKeys.get(created.body.id);
    expect(stored?.hash).toBe(createHash('sha256').update(secret).digest('hex'));

    const list = await api.request<PageResponse<ApiKeyDto>>('GET', '/api/keys', { key: ADMIN_KEY });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k) => k.id)).toContain(created.body.id);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(stored!.hash);
    for (const key of list.body.data) {
      expect(key).not.toHaveProperty('key');
      expect(key).not.toHaveProperty('hash');
    }
  });

  it('a user key reaches user routes but not admin routes; an admin key reaches both', async () => {
    const user = (await create({ name: 'user-key' })).body.key;
    expect((await api.request('GET', '/api/agents', { key: user })).status).toBe(200);
    expect((await api.request('GET', '/api/conversations', { key: user })).status).toBe(200);
    expect((await api.request('GET', '/api/keys', { key: user })).status).toBe(403);
    expect((await create({ name: 'escalate', role: 'admin' }, user)).status).toBe(403);

    const admin = await create({ name: 'second-admin', role: 'admin' });
    expect(admin.body.role).toBe('admin');
    expect((await api.request('GET', '/api/keys', { key: admin.body.key })).status).toBe(200);
    expect((await api.request('POST', '/api/agents', { key: admin.body.key, body: { name: 'by-db-admin' } })).status).toBe(201);
  });

  it('records when a key was last used', async () => {
    const created = await create({ name: 'usage' });
    expect(created.body.last_used_at).toBeNull();
    await api.request('GET', '/api/agents', { key: created.body.key });
    // Written off the request path: poll (up to 10 s, for a busy machine).
    let lastUsed: Date | null = null;
    for (let i = 0; i < 500 && !lastUsed; i++) {
      lastUsed = (await api.db.apiKeys.get(created.body.id))?.lastUsedAt ?? null;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).toBeInstanceOf(Date);
  });

  it('revokes a key: it then gets 401 at once, and revoking again changes nothing', async () => {
    const created = await create({ name: 'to-revoke' });
    // Warm the auth cache first, so the test proves revocation invalidates it.
    expect((await api.request('GET', '/api/agents', { key: created.body.key })).status).toBe(200);

    const revoked = await api.request<ApiKeyDto>('DELETE', `/api/keys/${created.body.id}`, { key: ADMIN_KEY });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const after = await api.request<ApiErrorBody>('GET', '/api/agents', { key: created.body.key });
    expect(after.status).toBe(401);
    expect(after.body.error.type).toBe('authentication_error');

    const again = await api.request<ApiKeyDto>('DELETE', `/api/keys/${created.body.id}`, { key: ADMIN_KEY });
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
    expect((await api.request('DELETE', '/api/keys/01900000-0000-7000-8000-000000000000', { key: ADMIN_KEY })).status).toBe(404);
  });

  it('pages through keys with a cursor', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await create({ name });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await api.request<PageResponse<ApiKeyDto>>('GET', `/api/keys${query}`, { key: ADMIN_KEY });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((k) => k.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    const all = await api.db.apiKeys.list({ limit: 500 });
    expect(seen.length).toBe(all.items.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(all.items.length / 2));
  });

  it('validates the create body and guards the routes', async () => {
    const bad = await api.request<ApiErrorBody>('POST', '/api/keys', {
      key: ADMIN_KEY,
      body: { name: '', role: 'root', budget_tokens: 1000 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.path)).toEqual(expect.arrayContaining(['name', 'role']));
    const noPeriod = await api.request<ApiErrorBody>('POST', '/api/keys', { key: ADMIN_KEY, body: { name: 'b', budget_tokens: 1000 } });
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body.error.details).toEqual([{ path: 'budget_period', message: 'a budget needs budget_period' }]);

    expect((await api.request('GET', '/api/keys')).status).toBe(401);
    expect((await api.request('GET', '/api/keys', { key: SHARED_KEY })).status).toBe(403);
    expect((await api.request('POST', '/api/keys', { key: SHARED_KEY, body: { name: 'x' } })).status).toBe(403);
    const first = (await api.request<PageResponse<ApiKeyDto>>('GET', '/api/keys', { key: ADMIN_KEY })).body.data[0]!.id;
    expect((await api.request('DELETE', `/api/keys/${first}`, { key: SHARED_KEY })).status).toBe(403);
  });
});
