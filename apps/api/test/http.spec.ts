import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiErrorBody, type Readiness } from '@switchboard/contracts';
import { openDatabase } from '@switchboard/db';
import { Redis } from 'ioredis';
import { ADMIN_KEY, capturingLogger, closedPort, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** Cross-cutting HTTP behaviour: health, readiness, metrics, docs, the error shape, body limits, logging. */
describe('api: http behaviour', () => {
  const config = testConfig({ auth: { admin_key: ADMIN_KEY }, server: { body_limit_mb: 0.01 } });
  const log = capturingLogger('debug');
  let api: TestApi;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    api = await startTestApi(config, { redis, logger: log.logger });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    redis?.disconnect();
  });

  it('GET /healthz answers without a key and carries a request id', async () => {
    const res = await api.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-123');
  });

  it('GET /readyz is 200 when the database and Redis answer', async () => {
    const res = await api.request<Readiness>('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(Object.keys(res.body.checks).sort()).toEqual(['database', 'redis']);
  });

  it('GET /readyz is 503 naming Redis when Redis does not answer', async () => {
    const deadRedis = new Redis({
      host: '127.0.0.1',
      port: await closedPort(),
      lazyConnect: true,
      connectTimeout: 300,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      // ioredis waits this long for a socket that never opened before it lets go; the default is 2 s.
      disconnectTimeout: 50,
    });
    deadRedis.on('error', () => undefined);
    const second = await startTestApi(config, { db: api.db, redis: deadRedis });
    try {
      const res = await second.request<ApiErrorBody>('GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.error.type).toBe('service_unavailable_error');
      expect(res.body.error.details?.map((d) => d.path)).toEqual(['redis']);
      expect(res.body.error.message).toContain('redis');
    } finally {
      await second.close();
      deadRedis.disconnect();
    }
  });

  it('a database that went away: /readyz is 503 naming it, data routes 503 with Retry-After', async () => {
    const db = await openDatabase('memory://');
    const broken = await startTestApi(config, { db });
    try {
      await db.close();
      const ready = await broken.request<ApiErrorBody>('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.details?.map((d) => d.path)).toEqual(['database']);
      const res = await broken.request<ApiErrorBody>('GET', '/api/agents', { key: ADMIN_KEY });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual({
        error: { message: 'The database is not reachable right now; try again shortly.', type: 'service_unavailable_error', param: null, code: 'database_unavailable' },
      });
    } finally {
      await broken.close();
    }
  });

  it('an unexplained failure while the database answers is a bare 500, without internals', async () => {
    const db = await openDatabase('memory://');
    // The real database, except that listing agents hits a bug.
    const buggy = new Proxy(db, {
      get: (target, prop) =>
        prop === 'agents'
          ? new Proxy(target.agents, {
              get: (agents, name) => (name === 'list' ? () => Promise.reject(new Error('boom: secret internals')) : (Reflect.get(agents, name, agents) as unknown)),
            })
          : (Reflect.get(target, prop, target) as unknown),
    });
    const api500 = await startTestApi(config, { db: buggy });
    try {
      const res = await api500.request<ApiErrorBody>('GET', '/api/agents', { key: ADMIN_KEY });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { message: 'Internal server error', type: 'server_error', param: null, code: null } });
    } finally {
      await api500.close();
      await db.close();
    }
  });

  it('malformed JSON is a 400 in the error shape, without internals', async () => {
    const res = await api.request<ApiErrorBody>('POST', '/api/conversations', { key: ADMIN_KEY, rawBody: '{"title": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.message).toMatch(/not valid JSON/);
    // OpenAI's shape, as on /v1.
    expect(Object.keys(res.body.error)).toEqual(['message', 'type', 'param', 'code']);
  });

  it('an empty JSON body or a body that is not a JSON object is a 400 in the error shape', async () => {
    const empty = await api.request<ApiErrorBody>('POST', '/api/conversations', { key: ADMIN_KEY, rawBody: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.type).toBe('invalid_request_error');
    const text = await api.request<ApiErrorBody>('POST', '/api/conversations', {
      key: ADMIN_KEY,
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(400);
    expect(text.body.error.type).toBe('invalid_request_error');
    expect(text.body.error.message).toMatch(/^Invalid request body: /);
  });

  it('a body over server.body_limit_mb is a 413', async () => {
    const res = await api.request<ApiErrorBody>('POST', '/api/conversations', { key: ADMIN_KEY, body: { title: 'x'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.message).toContain('body_limit_mb');
  });

  it('unknown routes are 404 in the error shape', async () => {
    const res = await api.request<ApiErrorBody>('GET', '/api/nope', { key: ADMIN_KEY });
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe('not_found_error');
  });

  it('GET /metrics exposes default metrics and HTTP counters by route template and status', async () => {
    const id = '01900000-0000-7000-8000-000000000000';
    expect((await api.request('GET', `/api/agents/${id}`, { key: ADMIN_KEY })).status).toBe(404);
    expect((await api.request('GET', '/healthz')).status).toBe(200);
    const res = await api.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('switchboard_process_cpu_user_seconds_total{app="api"}');
    expect(res.text).toMatch(/switchboard_http_requests_total\{method="GET",route="\/healthz",status="200",app="api"\} [1-9]/);
    expect(res.text).toMatch(/switchboard_http_requests_total\{method="GET",route="\/api\/agents\/:id",status="404",app="api"\} 1/);
    expect(res.text).toContain('switchboard_http_request_duration_seconds_bucket{le="0.005",app="api",method="GET",route="/healthz",status="200"}');
  });

  it('GET /api/docs-json documents every route with schemas from the contracts', async () => {
    const res = await api.request<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    }>('GET', '/api/docs-json');
    expect(res.status).toBe(200);
    const routes = Object.entries(res.body.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /api/agents',
        'POST /api/agents',
        'GET /api/agents/{id}',
        'PATCH /api/agents/{id}',
        'DELETE /api/agents/{id}',
        'GET /api/conversations',
        'POST /api/conversations',
        'GET /api/conversations/{id}',
        'PATCH /api/conversations/{id}',
        'DELETE /api/conversations/{id}',
        'GET /api/conversations/{id}/messages',
        'POST /api/conversations/{id}/messages',
        'GET /api/keys',
        'GET /api/providers',
        'POST /api/keys',
        'DELETE /api/keys/{id}',
        'GET /api/runs',
        'GET /api/runs/{id}',
        'POST /api/runs/{id}/cancel',
        'GET /api/models',
        'GET /api/models/{name}',
        'POST /api/models/{name}/download',
        'DELETE /api/models/{name}/download',
        'POST /api/models/{name}/download/cancel',
        'POST /api/models/{name}/select',
        'GET /api/benchmarks',
        'POST /api/benchmarks',
        'GET /api/benchmarks/{id}',
        'GET /api/config',
        'GET /api/me',
        'PATCH /api/keys/{id}',
        'GET /api/queues',
        'POST /api/queues/board-session',
        'PATCH /api/providers/{name}',
        'GET /api/pipelines',
        'POST /api/pipelines',
        'GET /api/pipelines/{id}',
        'DELETE /api/pipelines/{id}',
        'GET /api/usage',
      ].sort(),
    );
    const createAgent = res.body.paths['/api/agents']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(createAgent?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'system_prompt', 'budgets']));
    expect(Object.keys(res.body.components.schemas)).toEqual(
      expect.arrayContaining(['Agent', 'ConversationPage', 'CreatedApiKey', 'ApiError', 'Run', 'ModelCatalogue', 'CatalogueModel', 'ModelDownload', 'ModelSelection', 'Benchmark', 'BenchmarkList', 'RunPage', 'WebConfig', 'Me', 'QueueOverview', 'UsageReport']),
    );
    const createBenchmark = res.body.paths['/api/benchmarks']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(createBenchmark?.properties ?? {})).toEqual(expect.arrayContaining(['models', 'reference_model', 'prompt_set', 'max_tokens']));
    expect(res.body.components.securitySchemes).toHaveProperty('bearer');
  });

  it('GET /api/docs serves Swagger UI with its assets', async () => {
    const page = await api.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/api/docs-json');
    const bundle = await api.request('GET', '/api/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect((await api.request('GET', '/api/docs/..%2fpackage.json')).status).toBe(404);
  });

  it('logs one structured line per request and never the Authorization header', async () => {
    await api.request('GET', '/api/agents', { key: ADMIN_KEY, headers: { 'x-request-id': 'log-check-1' } });
    await api.request('GET', '/api/agents', { key: 'sb-not-a-real-key-but-secret-looking' });
    const lines = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.reqId === 'log-check-1');
    expect(line).toMatchObject({ msg: 'request', method: 'GET', route: '/api/agents', status: 200 });
    const all = log.lines.join('\n');
    expect(all).not.toContain(ADMIN_KEY);
    expect(all).not.toContain('sb-not-a-real-key-but-secret-looking');
    expect(all.toLowerCase()).not.toContain('authorization');
  });
});
