import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ConversationDto, type CreatedApiKeyDto, type RunNotification } from '@switchboard/contracts';
import { connectRedis, createRedis, type Redis, redisKeys, RunNotifier } from '@switchboard/queue';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';
import { connectError, connectNotifications, type NotificationClient } from './socket-client.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A worker's side: its own Redis connection and a notifier on the test's prefix. */
async function workerNotifier(prefix: string): Promise<{ notifier: RunNotifier; redis: Redis }> {
  const redis = createRedis(REDIS_URL, 'test-worker');
  await connectRedis(redis, REDIS_URL);
  return { notifier: new RunNotifier(redis, redisKeys(prefix)), redis };
}

function notification(apiKeyId: string | null, conversationId: string | null = null): RunNotification {
  return {
    type: 'run.completed',
    runId: randomUUID(),
    conversationId,
    apiKeyId,
    status: 'succeeded',
    agent: 'assistant',
    text: 'done',
    at: new Date().toISOString(),
  };
}

describe('api: socket.io notifications', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const clients: NotificationClient[] = [];
  let api: TestApi;
  let worker: { notifier: RunNotifier; redis: Redis };
  const alice = { key: '', id: '', conversation: '' };
  const bob = { key: '', id: '', conversation: '' };

  const connect = async (token: string): Promise<NotificationClient> => {
    const client = await connectNotifications(api.url, { token });
    clients.push(client);
    return client;
  };
  /**
   * Sends `n`, then a marker to `marker`'s own key room, and waits for the marker: notifications travel one
   * Redis connection in order, so once the marker is in, anything `n` was going to deliver to that socket is too.
   */
  const sendAndSettle = async (n: RunNotification, marker: { client: NotificationClient; keyId: string | null }): Promise<void> => {
    await worker.notifier.notify(n);
    const m = notification(marker.keyId);
    await worker.notifier.notify(m);
    await marker.client.waitForRun(m.runId);
  };

  beforeAll(async () => {
    api = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY }, redis: { prefix } }));
    worker = await workerNotifier(prefix);
    for (const [owner, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const key = await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name } });
      owner.key = key.body.key;
      owner.id = key.body.id;
      const conversation = await api.request<ConversationDto>('POST', '/api/conversations', { key: owner.key, body: {} });
      owner.conversation = conversation.body.id;
    }
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    await api?.close();
    worker?.redis.disconnect();
  });

  it("delivers a worker's notification to its key's sockets and to no other key's", async () => {
    const a = await connect(alice.key);
    const b = await connect(bob.key);
    const n = notification(alice.id);
    await worker.notifier.notify(n);
    await a.waitForRun(n.runId);
    expect(a.received).toEqual([['run.completed', n]]);

    await sendAndSettle(notification(alice.id), { client: b, keyId: bob.id });
    expect(b.runIds()).not.toContain(n.runId);
    expect(b.received).toHaveLength(1);
  });

  it('joins an owned conversation on subscribe, refuses one of another key and bad payloads', async () => {
    const a = await connect(alice.key);
    expect(await a.emitWithAck('subscribe', { conversationId: alice.conversation })).toEqual({ ok: true });
    expect(await a.emitWithAck('subscribe', { conversationId: bob.conversation })).toEqual({
      ok: false,
      error: `Conversation ${bob.conversation} not found`,
    });
    for (const bad of [{}, { conversationId: 'nope' }, { conversationId: alice.conversation, extra: 1 }, 'text']) {
      const ack = await a.emitWithAck('subscribe', bad);
      expect(ack.ok).toBe(false);
      expect(!ack.ok && ack.error).toContain('subscribe expects { conversationId');
    }
    // No payload at all, only the callback: an answer, not a crash.
    expect((await a.emitWithAck('subscribe')).ok).toBe(false);

    // A run of another key in Alice's conversation reaches her through the conversation's room alone...
    const inHers = notification(bob.id, alice.conversation);
    await worker.notifier.notify(inHers);
    await a.waitForRun(inHers.runId);
    // ...while one in Bob's conversation, which she could not join, does not.
    const inHis = notification(bob.id, bob.conversation);
    await sendAndSettle(inHis, { client: a, keyId: alice.id });
    expect(a.runIds()).not.toContain(inHis.runId);

    expect(await a.emitWithAck('unsubscribe', { conversationId: alice.conversation })).toEqual({ ok: true });
    const afterLeaving = notification(bob.id, alice.conversation);
    await sendAndSettle(afterLeaving, { client: a, keyId: alice.id });
    expect(a.runIds()).not.toContain(afterLeaving.runId);
  });

  it('delivers once to a socket that is in both the key room and the conversation room', async () => {
    const a = await connect(alice.key);
    expect(await a.emitWithAck('subscribe', { conversationId: alice.conversation })).toEqual({ ok: true });
    const n = notification(alice.id, alice.conversation);
    await sendAndSettle(n, { client: a, keyId: alice.id });
    expect(a.runIds().filter((id) => id === n.runId)).toHaveLength(1);
  });

  it('refuses a handshake without a valid key, with a message that says what is wrong', async () => {
    expect(await connectError(api.url, { token: 'sb-not-a-key' })).toEqual({
      message: 'Invalid or revoked API key',
      data: { type: 'authentication_error' },
    });
    expect((await connectError(api.url)).message).toMatch(/^Missing API key: connect with auth: \{ token/);
    expect((await connectError(api.url, { auth: { token: 42 } })).message).toMatch(/^auth.token must be the API key/);
    expect((await connectError(api.url, { auth: { token: 'two words' } })).message).toMatch(/^auth.token must be the API key/);
    expect((await connectError(api.url, { headers: { authorization: 'Basic abc' } })).message).toContain('Malformed Authorization');
    const revoked = await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name: 'gone' } });
    expect((await api.request('DELETE', `/api/keys/${revoked.body.id}`, { key: ADMIN_KEY })).status).toBeLessThan(300);
    expect((await connectError(api.url, { token: revoked.body.key })).message).toBe('Invalid or revoked API key');
  });

  it('accepts the key as an Authorization header too', async () => {
    const client = await connectNotifications(api.url, { headers: { authorization: `Bearer ${bob.key}` } });
    clients.push(client);
    const n = notification(bob.id);
    await worker.notifier.notify(n);
    await client.waitForRun(n.runId);
  });

  it('puts the keys from config in key:open, the owner of rows without a key id; admins may join any conversation', async () => {
    const admin = await connect(ADMIN_KEY);
    const shared = await connect(SHARED_KEY);
    const n = notification(null);
    await worker.notifier.notify(n);
    await admin.waitForRun(n.runId);
    await shared.waitForRun(n.runId);

    expect(await admin.emitWithAck('subscribe', { conversationId: bob.conversation })).toEqual({ ok: true });
    expect((await shared.emitWithAck('subscribe', { conversationId: bob.conversation })).ok).toBe(false);
    const inBobs = notification(bob.id, bob.conversation);
    await worker.notifier.notify(inBobs);
    await admin.waitForRun(inBobs.runId);
  });
});

describe('api: socket.io notifications across api instances', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  let first: TestApi;
  let second: TestApi;
  let worker: { notifier: RunNotifier; redis: Redis };
  const clients: NotificationClient[] = [];

  beforeAll(async () => {
    const config = testConfig({ auth: { admin_key: ADMIN_KEY }, redis: { prefix } });
    first = await startTestApi(config);
    second = await startTestApi(config, { db: first.db });
    worker = await workerNotifier(prefix);
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    await second?.close();
    await first?.close();
    worker?.redis.disconnect();
  });

  it('delivers one emitted notification to the sockets on every instance', async () => {
    const key = await first.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name: 'carol' } });
    const onFirst = await connectNotifications(first.url, { token: key.body.key });
    const onSecond = await connectNotifications(second.url, { token: key.body.key });
    clients.push(onFirst, onSecond);
    const n = notification(key.body.id);
    await worker.notifier.notify(n);
    await onFirst.waitForRun(n.runId);
    await onSecond.waitForRun(n.runId);
    expect(onFirst.received).toEqual([['run.completed', n]]);
    expect(onSecond.received).toEqual([['run.completed', n]]);
  });

  it('keeps installs with another Redis prefix apart', async () => {
    const other = await workerNotifier(`t-${randomUUID().slice(0, 8)}`);
    try {
      const client = await connectNotifications(first.url, { token: ADMIN_KEY });
      clients.push(client);
      const foreign = notification(null);
      await other.notifier.notify(foreign);
      const own = notification(null);
      await worker.notifier.notify(own);
      await client.waitForRun(own.runId);
      // Different Redis connections carry no order between them: give the foreign one time to (not) arrive.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(client.runIds()).toEqual([own.runId]);
    } finally {
      other.redis.disconnect();
    }
  });

  it('disconnects its sockets when the app closes, without waiting for them', async () => {
    const third = await startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY }, redis: { prefix } }), { db: first.db });
    const client = await connectNotifications(third.url, { token: ADMIN_KEY });
    clients.push(client);
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    const started = Date.now();
    await third.close();
    expect(await disconnected).toBe('io server disconnect');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('api: socket.io notifications on an open install', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  let api: TestApi;
  let worker: { notifier: RunNotifier; redis: Redis };

  beforeAll(async () => {
    api = await startTestApi(testConfig({ redis: { prefix } }));
    worker = await workerNotifier(prefix);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    worker?.redis.disconnect();
  });

  it('accepts a socket without a key into key:open, and refuses a wrong key all the same', async () => {
    const client = await connectNotifications(api.url);
    try {
      const conversation = await api.request<ConversationDto>('POST', '/api/conversations', { body: {} });
      expect(await client.emitWithAck('subscribe', { conversationId: conversation.body.id })).toEqual({ ok: true });
      const n = notification(null, conversation.body.id);
      await worker.notifier.notify(n);
      await client.waitForRun(n.runId);
      expect(client.runIds()).toEqual([n.runId]);
      expect((await connectError(api.url, { token: 'sb-wrong' })).message).toBe('Invalid or revoked API key');
    } finally {
      client.close();
    }
  });
});
