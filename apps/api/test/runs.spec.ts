import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiErrorBody, type ChatRunJob, type CreatedApiKeyDto, type RunDto, type RunEvent } from '@switchboard/contracts';
import { createRedis, listenForCancels, redisKeys, RunEventHub, RunQueue } from '@switchboard/queue';
import { deleteKeysUnder } from '@switchboard/testing';
import { randomUUID } from 'node:crypto';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const prefix = `sbapiruns-${randomUUID().slice(0, 8)}`;

describe('api: runs', () => {
  let api: TestApi;
  const redis = createRedis('redis://127.0.0.1:6379', 'api-test');
  const sub = createRedis('redis://127.0.0.1:6379', 'api-test-sub');
  const signals: { runId: string; reason: string }[] = [];
  let stopListening: () => Promise<void>;
  let alice: CreatedApiKeyDto;
  let bob: CreatedApiKeyDto;

  const newKey = async (name: string): Promise<CreatedApiKeyDto> =>
    (await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name } })).body;

  beforeAll(async () => {
    await redis.connect();
    await sub.connect();
    stopListening = await listenForCancels(sub, redisKeys(prefix), (runId, reason) => signals.push({ runId, reason }));
    api = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY }, redis: { prefix } }), { redis });
    alice = await newKey('alice');
    bob = await newKey('bob');
  }, 120_000);
  afterAll(async () => {
    await stopListening?.();
    await api?.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    sub.disconnect();
  });

  const waitForSignal = async (runId: string) => {
    // Up to 10 s: pub/sub on a busy machine.
    for (let i = 0; i < 1000 && !signals.some((s) => s.runId === runId); i++) await new Promise((r) => setTimeout(r, 10));
    return signals.filter((s) => s.runId === runId);
  };

  it('shows a run to its owner and to admins: status, usage, provider, error', async () => {
    const run = await api.db.runs.create({
      apiKeyId: alice.id,
      requestedModel: 'fake/m1',
      status: 'failed',
      provider: 'fake',
      providerModel: 'm1',
      attempt: 2,
      promptTokens: 10,
      completionTokens: 5,
      error: 'boom',
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const mine = await api.request<RunDto>('GET', `/api/runs/${run.id}`, { key: alice.key });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      id: run.id,
      status: 'failed',
      model: 'fake/m1',
      provider: 'fake',
      provider_model: 'm1',
      attempt: 2,
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      error: 'boom',
    });
    expect((await api.request('GET', `/api/runs/${run.id}`, { key: ADMIN_KEY })).status).toBe(200);
    const other = await api.request<ApiErrorBody>('GET', `/api/runs/${run.id}`, { key: bob.key });
    expect(other.status).toBe(404);
    expect((await api.request('GET', `/api/runs/${UNKNOWN_ID}`, { key: alice.key })).status).toBe(404);
    expect((await api.request('GET', `/api/runs/not-a-uuid`, { key: alice.key })).status).toBe(404);
    expect((await api.request('GET', `/api/runs/${run.id}`)).status).toBe(401);
  });

  it("lists the caller's runs (admins all), filtered by status, agent, model and date, page by page", async () => {
    const carol = await newKey('carol');
    const dave = await newKey('dave');
    const mine: Awaited<ReturnType<typeof api.db.runs.create>>[] = [];
    for (const [model, status] of [['council', 'succeeded'], ['auto', 'failed'], ['council', 'failed']] as const) {
      mine.push(await api.db.runs.create({ apiKeyId: carol.id, requestedModel: model, status, provider: 'fake', providerModel: 'm1' }));
    }
    const theirs = await api.db.runs.create({ apiKeyId: dave.id, requestedModel: 'council' });
    type Page = { data: RunDto[]; next_cursor: string | null };
    const list = async (query: string, key = carol.key) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Page } = await api.request<Page>('GET', `/api/runs?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`, { key });
        expect(page.status).toBe(200);
        ids.push(...page.body.data.map((r) => r.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      return ids;
    };

    expect(await list('')).toEqual([...mine].reverse().map((r) => r.id));
    expect(await list('&status=failed')).toEqual([mine[2]!.id, mine[1]!.id]);
    expect(await list('&agent=council&status=failed')).toEqual([mine[2]!.id]);
    expect(await list('&model=fake/m1')).toHaveLength(3);
    expect(await list('&model=auto')).toEqual([mine[1]!.id]);
    expect(await list(`&from=${new Date(Date.now() - 60_000).toISOString()}`)).toHaveLength(3);
    expect(await list('&to=2000-01-01')).toEqual([]);
    expect(await list('', dave.key)).toEqual([theirs.id]);
    expect(await list('&agent=council', ADMIN_KEY)).toEqual(expect.arrayContaining([theirs.id, mine[0]!.id, mine[2]!.id]));

    const bad = await api.request<ApiErrorBody>('GET', '/api/runs?status=sleeping&from=yesterday', { key: carol.key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.path)).toEqual(['status', 'from']);
    expect((await api.request<ApiErrorBody>('GET', '/api/runs?cursor=nope', { key: carol.key })).status).toBe(400);
    expect((await api.request('GET', '/api/runs')).status).toBe(401);
  });

  it('lets the owner or an admin cancel a live run (the signal reaches the workers), nobody else', async () => {
    const run = await api.db.runs.create({ apiKeyId: alice.id, requestedModel: 'fake/m1', status: 'running', attempt: 1 });
    const denied = await api.request<ApiErrorBody>('POST', `/api/runs/${run.id}/cancel`, { key: bob.key });
    expect(denied.status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(signals.filter((s) => s.runId === run.id)).toHaveLength(0);

    const accepted = await api.request<RunDto>('POST', `/api/runs/${run.id}/cancel`, { key: alice.key });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: run.id, status: 'running' });
    expect(await waitForSignal(run.id)).toEqual([{ runId: run.id, reason: 'cancelled by its owner' }]);

    const background = await api.db.runs.create({ apiKeyId: bob.id, requestedModel: 'auto', status: 'background', attempt: 1 });
    expect((await api.request('POST', `/api/runs/${background.id}/cancel`, { key: ADMIN_KEY })).status).toBe(202);
    expect(await waitForSignal(background.id)).toEqual([{ runId: background.id, reason: 'cancelled by an admin' }]);
  });

  it('cancels a run still in the queue: its job is gone, a client following it gets the terminal cancelled event, the row says cancelled', async () => {
    const keys = redisKeys(prefix);
    const queueConnection = createRedis('redis://127.0.0.1:6379', 'api-test-queue', { enableAutoPipelining: false });
    const hubSub = createRedis('redis://127.0.0.1:6379', 'api-test-hub-sub');
    await Promise.all([queueConnection.connect(), hubSub.connect()]);
    const queue = new RunQueue(queueConnection, keys, api.config.queue);
    const hub = new RunEventHub(hubSub, redis, keys, `api-test-${randomUUID().slice(0, 8)}`);
    try {
      await hub.start();
      // No worker runs here, so the run stays queued and has no Run row.
      const job = (owner: string | null): ChatRunJob => ({
        runId: randomUUID(),
        created: Math.floor(Date.now() / 1000),
        handoff: false,
        apiKeyId: owner,
        conversationId: null,
        externalConversationId: null,
        mode: 'stream',
        replyTo: hub.replyChannel,
        request: { model: 'fake/m1', messages: [{ role: 'user', content: 'hi' }] },
      });
      const queued = job(alice.id);
      const events: RunEvent[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        hub.follow(queued.runId, (_seq, event) => (events.push(event), event.t === 'error' && resolve()), reject);
      });
      await queue.enqueueChat(queued);
      expect(await api.db.runs.get(queued.runId)).toBeNull();

      expect((await api.request('POST', `/api/runs/${queued.runId}/cancel`, { key: bob.key })).status).toBe(404);
      expect(await (await queue.getRun(queued.runId))?.getState()).toBe('waiting');

      const res = await api.request<RunDto>('POST', `/api/runs/${queued.runId}/cancel`, { key: alice.key });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: queued.runId, status: 'cancelled', model: 'fake/m1', error: 'The run was cancelled.' });
      await ended;
      expect(events).toEqual([{ t: 'error', status: 499, message: 'The run was cancelled.', type: 'cancelled', code: 'cancelled' }]);
      expect(await queue.getRun(queued.runId)).toBeUndefined();
      expect((await api.request<RunDto>('GET', `/api/runs/${queued.runId}`, { key: alice.key })).body.status).toBe('cancelled');
      expect((await api.request('POST', `/api/runs/${queued.runId}/cancel`, { key: alice.key })).status).toBe(409);
      // Only the event: no cancel signal was needed, no worker holds it.
      expect(signals.filter((s) => s.runId === queued.runId)).toHaveLength(0);

      // Admins cancel anyone's queued run; a run neither in the database nor in the queue is not found.
      const other = job(bob.id);
      await queue.enqueueChat(other);
      const byAdmin = await api.request<RunDto>('POST', `/api/runs/${other.runId}/cancel`, { key: ADMIN_KEY });
      expect(byAdmin.status).toBe(202);
      expect(byAdmin.body.status).toBe('cancelled');
      expect((await api.request('POST', `/api/runs/${UNKNOWN_ID}/cancel`, { key: ADMIN_KEY })).status).toBe(404);
    } finally {
      await queue.close();
      queueConnection.disconnect();
      hubSub.disconnect();
    }
  });

  it('refuses to cancel a run that already ended', async () => {
    const run = await api.db.runs.create({ apiKeyId: alice.id, requestedModel: 'fake/m1', status: 'succeeded' });
    const res = await api.request<ApiErrorBody>('POST', `/api/runs/${run.id}/cancel`, { key: alice.key });
    expect(res.status).toBe(409);
    expect(res.body.error.type).toBe('conflict_error');
  });
});

describe('api: runs without Redis', () => {
  it('answers 503 to a cancel it cannot deliver', async () => {
    const api = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY } }));
    try {
      const run = await api.db.runs.create({ requestedModel: 'auto', status: 'running' });
      const res = await api.request<ApiErrorBody>('POST', `/api/runs/${run.id}/cancel`, { key: ADMIN_KEY });
      expect(res.status).toBe(503);
    } finally {
      await api.close();
    }
  });
});
