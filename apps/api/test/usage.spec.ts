import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiErrorBody, type CreatedApiKeyDto, type UsageReportDto } from '@switchboard/contracts';
import { ADMIN_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** GET /api/usage over real HTTP: admins see every key, a user key only its own; bad queries are 400s. */
describe('api: usage', () => {
  let api: TestApi;
  let alice: CreatedApiKeyDto;
  let bob: CreatedApiKeyDto;

  const newKey = async (name: string): Promise<CreatedApiKeyDto> =>
    (await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name } })).body;
  const usage = (query: string, key: string) => api.request<UsageReportDto>('GET', `/api/usage${query}`, { key });

  beforeAll(async () => {
    api = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY } }));
    alice = await newKey('alice');
    bob = await newKey('bob');
    const run = (apiKeyId: string, createdAt: string, promptTokens: number, completionTokens: number, cost: number) =>
      api.db.runs.create({ apiKeyId, requestedModel: 'auto', status: 'succeeded', provider: 'fake', providerModel: 'm1', promptTokens, completionTokens, cost, createdAt: new Date(createdAt) });
    await run(alice.id, '2030-06-01T08:00:00Z', 10, 20, 0.25);
    await run(alice.id, '2030-06-02T08:00:00Z', 1, 2, 0.5);
    await run(bob.id, '2030-06-01T09:00:00Z', 100, 200, 1);
    // Today's run, for the default range (the last 30 days).
    await api.db.runs.create({ apiKeyId: bob.id, requestedModel: 'auto', provider: 'fake', providerModel: 'm2', promptTokens: 3, completionTokens: 4 });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  const june = '?from=2030-06-01&to=2030-06-03';

  it('an admin sees every key, per key, model and UTC day', async () => {
    const res = await usage(june, ADMIN_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2030-06-01T00:00:00.000Z', to: '2030-06-03T00:00:00.000Z', group_by: ['key', 'model', 'day'] });
    const rows = res.body.data.map((r) => [r.day, r.key_name, r.model, r.runs, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cost]);
    // Ordered by day, then key id (alice's key is the older: ids grow with time).
    expect(alice.id < bob.id).toBe(true);
    expect(rows).toEqual([
      ['2030-06-01', 'alice', 'fake/m1', 1, 10, 20, 30, 0.25],
      ['2030-06-01', 'bob', 'fake/m1', 1, 100, 200, 300, 1],
      ['2030-06-02', 'alice', 'fake/m1', 1, 1, 2, 3, 0.5],
    ]);
    expect(res.body.data.find((r) => r.key_name === 'bob')).toMatchObject({ api_key_id: bob.id, key_prefix: bob.prefix, cached_runs: 0 });
  });

  it('a user key sees only its own runs, whatever it groups by', async () => {
    const byKey = await usage(`${june}&group_by=key`, alice.key);
    expect(byKey.status).toBe(200);
    expect(byKey.body.data).toEqual([expect.objectContaining({ api_key_id: alice.id, model: null, day: null, runs: 2, total_tokens: 33, cost: 0.75 })]);
    const totals = await usage(`${june}&group_by=day,day`, bob.key);
    expect(totals.body.group_by).toEqual(['day']);
    expect(totals.body.data).toEqual([expect.objectContaining({ api_key_id: null, day: '2030-06-01', runs: 1, total_tokens: 300 })]);
    const admin = await usage(`${june}&group_by=key`, ADMIN_KEY);
    expect(admin.body.data.map((r) => r.key_name).sort()).toEqual(['alice', 'bob']);
  });

  it('defaults to the last 30 days', async () => {
    const res = await usage('?group_by=model', bob.key);
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(30 * 86_400_000);
    expect(res.body.data).toEqual([expect.objectContaining({ model: 'fake/m2', runs: 1, total_tokens: 7 })]);
  });

  it('refuses a bad query with an OpenAI-shaped 400, and a caller without a key with a 401', async () => {
    const bad = await api.request<ApiErrorBody>('GET', '/api/usage?from=yesterday&group_by=key,week', { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(bad.body.error.details?.map((d) => d.path)).toEqual(['from', 'group_by']);
    const backwards = await api.request<ApiErrorBody>('GET', '/api/usage?from=2030-06-03&to=2030-06-01', { key: alice.key });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details?.map((d) => d.path)).toEqual(['to']);
    expect((await api.request<ApiErrorBody>('GET', '/api/usage')).status).toBe(401);
  });
});
