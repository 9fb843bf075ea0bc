import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ApiErrorBody,
  type ApiKeyDto,
  type CreatedApiKeyDto,
  type MeDto,
  type ProviderStatusDto,
  type ProviderStatusListDto,
  type QueueOverviewDto,
} from '@switchboard/contracts';
import { createRedis, redisKeys } from '@switchboard/queue';
import { deleteKeysUnder } from '@switchboard/testing';
import { Queue } from 'bullmq';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** What the operator's console reads beside the keys and agents CRUD: who is signed in, editing a key, queue depth. */
describe('api: console endpoints', () => {
  let api: TestApi;
  const prefix = `sb-console-${randomUUID().slice(0, 8)}`;
  const redis = createRedis('redis://127.0.0.1:6379', 'console-spec');
  let user: CreatedApiKeyDto;

  beforeAll(async () => {
    api = await startTestApi(
      testConfig({
        auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY, cache_ttl_ms: 250 },
        redis: { prefix },
        providers: [
          { name: 'fake', type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', models: ['m1'] },
          { name: 'off', type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', models: ['m1'], enabled: false },
        ],
      }),
      { redis },
    );
    user = (await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name: 'console-user', rate_limit_per_minute: 30 } })).body;
  }, 120_000);
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    await api?.close();
  });

  it('GET /api/me says who each key is', async () => {
    const admin = await api.request<MeDto>('GET', '/api/me', { key: ADMIN_KEY });
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ kind: 'admin-key', role: 'admin', key_id: null, key_name: null, key_prefix: null });
    const shared = await api.request<MeDto>('GET', '/api/me', { key: SHARED_KEY });
    expect(shared.body).toMatchObject({ kind: 'shared-key', role: 'user' });
    const own = await api.request<MeDto>('GET', '/api/me', { key: user.key });
    expect(own.body).toEqual({ kind: 'api-key', role: 'user', key_id: user.id, key_name: 'console-user', key_prefix: user.prefix });
    const none = await api.request<ApiErrorBody>('GET', '/api/me');
    expect(none.status).toBe(401);
    expect(none.body.error.type).toBe('authentication_error');
  });

  it('a user key gets 403 in OpenAI error shape from every admin API the console uses', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/keys'],
      ['POST', '/api/keys', { name: 'x' }],
      ['PATCH', `/api/keys/${user.id}`, { rate_limit_per_minute: 1 }],
      ['DELETE', `/api/keys/${user.id}`],
      ['POST', '/api/agents', { name: 'nope' }],
      ['GET', '/api/providers'],
      ['PATCH', '/api/providers/fake', { enabled: false }],
      ['GET', '/api/queues'],
    ];
    for (const [method, path, body] of calls) {
      const res = await api.request<ApiErrorBody>(method, path, { key: user.key, body });
      expect({ path, method, status: res.status }).toEqual({ path, method, status: 403 });
      expect(res.body.error).toMatchObject({ type: 'permission_error', code: 'admin_key_required', param: null });
      expect(typeof res.body.error.message).toBe('string');
    }
    // The key is untouched.
    expect((await api.db.apiKeys.get(user.id))?.rateLimitPerMinute).toBe(30);
  });

  it('PATCH /api/keys/:id edits limits and budget, clears with null, and refuses a budget without a period', async () => {
    const patched = await api.request<ApiKeyDto>('PATCH', `/api/keys/${user.id}`, {
      key: ADMIN_KEY,
      body: { name: 'renamed', rate_limit_per_minute: 90, budget_tokens: 5000, budget_cost: 1.5, budget_period: 'day' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: user.id, name: 'renamed', rate_limit_per_minute: 90, budget_tokens: 5000, budget_cost: 1.5, budget_period: 'day' });
    expect(patched.text).not.toContain(user.key);

    const partial = await api.request<ApiKeyDto>('PATCH', `/api/keys/${user.id}`, { key: ADMIN_KEY, body: { rate_limit_per_minute: null } });
    expect(partial.body).toMatchObject({ name: 'renamed', rate_limit_per_minute: null, budget_tokens: 5000, budget_period: 'day' });

    const noPeriod = await api.request<ApiErrorBody>('PATCH', `/api/keys/${user.id}`, { key: ADMIN_KEY, body: { budget_period: null } });
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body.error).toMatchObject({ type: 'invalid_request_error', param: 'budget_period' });

    const bad = await api.request<ApiErrorBody>('PATCH', `/api/keys/${user.id}`, { key: ADMIN_KEY, body: { rate_limit_per_minute: -3, role: 'admin' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).not.toBeNull();
    expect((await api.request('PATCH', `/api/keys/${user.id}`, { key: ADMIN_KEY, body: {} })).status).toBe(400);
    expect((await api.request('PATCH', '/api/keys/01900000-0000-7000-8000-000000000000', { key: ADMIN_KEY, body: { name: 'x' } })).status).toBe(404);

    const cleared = await api.request<ApiKeyDto>('PATCH', `/api/keys/${user.id}`, { key: ADMIN_KEY, body: { budget_tokens: null, budget_cost: null, budget_period: null } });
    expect(cleared.body).toMatchObject({ budget_tokens: null, budget_cost: null, budget_period: null });
    expect((await api.request<MeDto>('GET', '/api/me', { key: user.key })).body.key_name).toBe('renamed');
  });

  it('GET /api/queues counts the jobs of every queue under the platform prefix, and inline runs', async () => {
    const keys = redisKeys(prefix);
    const runs = new Queue('runs', { connection: redis, prefix: keys.bullPrefix() });
    try {
      await runs.add('run.chat', { n: 1 }, { jobId: 'console-a' });
      await runs.add('run.chat', { n: 2 }, { jobId: 'console-b', delay: 60_000 });
      await redis.zadd(keys.inlineLeases(), Date.now() + 60_000, 'inline-live', Date.now() - 1000, 'inline-expired');
      const res = await api.request<QueueOverviewDto>('GET', '/api/queues', { key: ADMIN_KEY });
      expect(res.status).toBe(200);
      expect(res.body.queues.map((q) => q.name).sort()).toEqual(['benchmarks', 'maintenance', 'models', 'runs']);
      expect(res.body.queues.find((q) => q.name === 'runs')).toMatchObject({ waiting: 1, delayed: 1, active: 0 });
      expect(res.body.inline_runs).toBe(1);
      expect(res.body.active_runs).toBe(1);
    } finally {
      await runs.close();
    }
  });

  it('PATCH /api/providers/:name switches a provider off and on in Redis, where every router reads it', async () => {
    const off = await api.request<ProviderStatusDto>('PATCH', '/api/providers/fake', { key: ADMIN_KEY, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: 'fake', enabled: false, disabled_at_runtime: true });
    expect(await redis.smembers(redisKeys(prefix).disabledProviders())).toEqual(['fake']);
    const list = await api.request<ProviderStatusListDto>('GET', '/api/providers', { key: ADMIN_KEY });
    expect(list.body.data.map((p) => [p.name, p.enabled, p.disabled_at_runtime])).toEqual([['fake', false, true], ['off', false, false]]);

    const on = await api.request<ProviderStatusDto>('PATCH', '/api/providers/fake', { key: ADMIN_KEY, body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabled_at_runtime: false });
    expect(await redis.smembers(redisKeys(prefix).disabledProviders())).toEqual([]);

    const configOff = await api.request<ApiErrorBody>('PATCH', '/api/providers/off', { key: ADMIN_KEY, body: { enabled: true } });
    expect(configOff.status).toBe(400);
    expect(configOff.body.error).toMatchObject({ param: 'enabled', type: 'invalid_request_error' });
    expect((await api.request('PATCH', '/api/providers/nope', { key: ADMIN_KEY, body: { enabled: false } })).status).toBe(404);
    const bad = await api.request<ApiErrorBody>('PATCH', '/api/providers/fake', { key: ADMIN_KEY, body: { enabled: 'no' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('enabled');
  });

  it('a board session is a short-lived HttpOnly cookie for admins only, kept (hashed) in Redis; the board refuses anything else', async () => {
    const session = await api.request('POST', '/api/queues/board-session', { key: ADMIN_KEY });
    expect(session.status).toBe(204);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sb_board=[A-Za-z0-9_-]{40,}; Path=\/api\/admin\/queues; Max-Age=900; HttpOnly; SameSite=Strict$/);
    const token = cookie.split(';')[0]!.split('=')[1]!;
    const stored = await redis.keys(`${prefix}:board:session:*`);
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(token);
    expect(await redis.ttl(stored[0]!)).toBeGreaterThan(0);

    expect((await api.request('POST', '/api/queues/board-session', { key: user.key })).status).toBe(403);
    expect((await api.request('POST', '/api/queues/board-session')).status).toBe(401);
    for (const headers of [{}, { cookie: 'sb_board=forged' }, { cookie: `other=${token}` }]) {
      const res = await api.request<ApiErrorBody>('GET', '/api/admin/queues/api/queues', { headers });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ type: 'authentication_error', code: 'board_session_required', param: null });
    }
    // A valid session serves the board itself: proven in the browser (e2e/web-console), since bull-board's Fastify
    // adapter cannot load under Jest's module loader.
  });
});

describe('api: /api/me on an open install', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(testConfig());
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('is the anonymous user, whatever token is sent, and admin APIs stay closed (401)', async () => {
    const me = await api.request<MeDto>('GET', '/api/me', { key: 'anything' });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'anonymous', role: 'user', key_id: null });
    const keys = await api.request<ApiErrorBody>('GET', '/api/keys');
    expect(keys.status).toBe(401);
    expect(keys.body.error.code).toBe('admin_key_required');
  });
});
