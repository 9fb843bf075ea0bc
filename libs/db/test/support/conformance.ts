import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  type CompletedRunRecord,
  ConflictError,
  type Database,
  InvalidCursorError,
  InvalidDataError,
  type MessageRow,
  newId,
  type NewAgent,
  type NewApiKey,
  NotFoundError,
  openDatabase,
  type Page,
} from '../../src/index.js';
import { type BackendName, createTestDatabase, type TestDatabase } from './backends.js';
import { recordRunsStorageConformance } from './record-runs-storage.js';

/**
 * The repository contract, run unchanged against every backend (one spec file per backend calls this, so the
 * three run in parallel). Everything goes through the public API of @switchboard/db.
 */
export function repositoryConformance(backend: BackendName): void {
  describe(`repositories on ${backend}`, () => {
    let testDb: TestDatabase;
    let db: Database;

    beforeAll(async () => {
      testDb = await createTestDatabase(backend);
      db = await openDatabase(testDb.url, { pgliteThread: backend === 'pglite-thread' });
    }, 60_000);

    afterAll(async () => {
      await db?.close();
      await testDb?.drop();
    }, 60_000);

    const key = (overrides: Partial<NewApiKey> = {}): NewApiKey => ({
      name: 'test key',
      prefix: 'sb-test',
      hash: randomBytes(32).toString('hex'),
      role: 'user',
      ...overrides,
    });
    const agent = (overrides: Partial<NewAgent> = {}): NewAgent => ({ name: `agent-${randomBytes(4).toString('hex')}`, model: 'auto', ...overrides });

    async function allPages<T>(fetch: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
      const out: T[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10_000; i++) {
        const page = await fetch(cursor);
        out.push(...page.items);
        if (!page.nextCursor) return out;
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end');
    }

    it('reports its kind and answers ping', async () => {
      expect(db.kind).toBe(backend === 'pglite-thread' ? 'pglite' : backend);
      await expect(db.ping()).resolves.toBeUndefined();
    });

    describe('api keys', () => {
      it('creates, reads, updates and deletes a key with defaults filled in', async () => {
        const created = await db.apiKeys.create(key({ name: 'alice', role: 'admin' }));
        expect(created).toMatchObject({
          name: 'alice',
          role: 'admin',
          rateLimitPerMinute: null,
          budgetTokens: null,
          budgetCost: null,
          budgetPeriod: null,
          spentTokens: 0,
          spentCost: 0,
          lastUsedAt: null,
          revokedAt: null,
        });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(await db.apiKeys.get(created.id)).toEqual(created);
        expect(await db.apiKeys.findByHash(created.hash)).toEqual(created);
        expect(await db.apiKeys.findByHash('0'.repeat(64))).toBeNull();

        const revokedAt = new Date('2030-01-02T03:04:05.678Z');
        const updated = await db.apiKeys.update(created.id, {
          name: 'alice 2',
          rateLimitPerMinute: 120,
          budgetTokens: 5_000_000_000,
          budgetCost: 12.5,
          revokedAt,
        });
        expect(updated).toMatchObject({ name: 'alice 2', rateLimitPerMinute: 120, budgetTokens: 5_000_000_000, budgetCost: 12.5, revokedAt });
        expect(await db.apiKeys.get(created.id)).toEqual(updated);
        expect(await db.apiKeys.update(newId(), { name: 'nobody' })).toBeNull();

        expect(await db.apiKeys.delete(created.id)).toBe(true);
        expect(await db.apiKeys.delete(created.id)).toBe(false);
        expect(await db.apiKeys.get(created.id)).toBeNull();
      });

      it('sets last_used_at of several keys in one call, and ignores ids that do not exist', async () => {
        const [a, b, c] = await Promise.all([db.apiKeys.create(key()), db.apiKeys.create(key()), db.apiKeys.create(key())]);
        const at = new Date('2031-05-06T07:08:09.123Z');
        await db.apiKeys.touch([a.id, b.id, newId()], at);
        await db.apiKeys.touch([], at);
        expect((await db.apiKeys.get(a.id))?.lastUsedAt).toEqual(at);
        expect((await db.apiKeys.get(b.id))?.lastUsedAt).toEqual(at);
        expect((await db.apiKeys.get(c.id))?.lastUsedAt).toBeNull();
      });

      it('refuses a second key with the same hash with ConflictError', async () => {
        const first = await db.apiKeys.create(key());
        const error = await db.apiKeys.create(key({ hash: first.hash })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).message).toMatch(/API key already exists/);
      });

      it('counts keys and pages through all of them newest first, each once', async () => {
        const before = await db.apiKeys.count();
        await Promise.all(Array.from({ length: 23 }, (_, i) => db.apiKeys.create(key({ name: `page ${i}` }))));
        expect(await db.apiKeys.count()).toBe(before + 23);
        const rows = await allPages((cursor) => db.apiKeys.list({ cursor, limit: 4 }));
        expect(rows).toHaveLength(before + 23);
        expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
        for (let i = 1; i < rows.length; i++) {
          const [a, b] = [rows[i - 1]!, rows[i]!];
          expect(a.createdAt > b.createdAt || (a.createdAt.getTime() === b.createdAt.getTime() && a.id > b.id)).toBe(true);
        }
      });

      it('adds spend atomically under 20 concurrent writers', async () => {
        const k = await db.apiKeys.create(key());
        await Promise.all(Array.from({ length: 20 }, () => db.apiKeys.addSpend(k.id, 7, 0.1)));
        const after = await db.apiKeys.get(k.id);
        expect(after?.spentTokens).toBe(140);
        expect(after?.spentCost).toBe(2);
      });

      it('starts a new budget period with the first spend after the old one ended, even under concurrency', async () => {
        const k = await db.apiKeys.create(key({ budgetPeriod: 'day', budgetTokens: 1000 }));
        await db.apiKeys.addSpend(k.id, 100, 1);
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 100, spentCost: 1 });
        // Pretend the spend happened in an earlier period.
        await db.apiKeys.update(k.id, { periodStartedAt: new Date('2020-01-01T00:00:00Z') });
        const stale = await db.apiKeys.get(k.id);
        expect(stale).toMatchObject({ spentTokens: 0, spentCost: 0 });
        expect(stale?.periodStartedAt?.getTime()).toBeGreaterThan(new Date('2020-01-02T00:00:00Z').getTime());

        await Promise.all(Array.from({ length: 20 }, () => db.apiKeys.addSpend(k.id, 3, 0.5)));
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 60, spentCost: 10 });
      });

      it('ignores spend for a key that no longer exists', async () => {
        await expect(db.apiKeys.addSpend(newId(), 1, 1)).resolves.toBeUndefined();
      });
    });

    describe('agents', () => {
      it('creates with defaults, reads by id and name, updates and deletes', async () => {
        const created = await db.agents.create(agent({ name: 'writer' }));
        expect(created).toMatchObject({
          name: 'writer',
          description: '',
          model: 'auto',
          systemPrompt: '',
          tools: [],
          budgets: null,
          onBudgetExceeded: 'background',
          source: 'api',
        });
        expect(await db.agents.get(created.id)).toEqual(created);
        expect(await db.agents.getByName('writer')).toEqual(created);
        expect(await db.agents.getByName('Writer')).toBeNull();

        const budgets = { sync: { max_iterations: 3, max_seconds: 20 }, background: { max_iterations: 9, max_seconds: 300 } };
        const updated = await db.agents.update(created.id, {
          description: 'writes things',
          systemPrompt: 'Be brief.',
          tools: ['calculator', 'current_time'],
          budgets,
          onBudgetExceeded: 'stop',
        });
        expect(updated).toMatchObject({ tools: ['calculator', 'current_time'], budgets, onBudgetExceeded: 'stop', systemPrompt: 'Be brief.' });
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
        expect(await db.agents.update(created.id, { budgets: null })).toMatchObject({ budgets: null });
        expect(await db.agents.update(newId(), { model: 'x' })).toBeNull();

        expect(await db.agents.delete(created.id)).toBe(true);
        expect(await db.agents.delete(created.id)).toBe(false);
        expect(await db.agents.get(created.id)).toBeNull();
      });

      it('maps a duplicate name to ConflictError, on create and on rename', async () => {
        const a = await db.agents.create(agent({ name: 'dup-a' }));
        await db.agents.create(agent({ name: 'dup-b' }));
        await expect(db.agents.create(agent({ name: 'dup-a' }))).rejects.toBeInstanceOf(ConflictError);
        await expect(db.agents.update(a.id, { name: 'dup-b' })).rejects.toBeInstanceOf(ConflictError);
      });

      it('lists by name', async () => {
        for (const name of ['list-c', 'list-a', 'list-b']) await db.agents.create(agent({ name }));
        const names = (await db.agents.list()).map((a) => a.name).filter((n) => n.startsWith('list-'));
        expect(names).toEqual(['list-a', 'list-b', 'list-c']);
      });

      it('seeds config agents idempotently and leaves api agents alone', async () => {
        const apiAgent = await db.agents.create(agent({ name: 'seed-shared', model: 'api-model', source: 'api' }));
        const config: NewAgent[] = [
          { name: 'seed-one', model: 'auto', systemPrompt: 'One.', tools: ['calculator'], budgets: { sync: { max_iterations: 5 } } },
          { name: 'seed-two', model: 'local/qwen', onBudgetExceeded: 'stop' },
          { name: 'seed-shared', model: 'config-model' },
        ];
        await db.agents.seedFromConfig(config);
        const one = await db.agents.getByName('seed-one');
        const two = await db.agents.getByName('seed-two');
        expect(one).toMatchObject({ source: 'config', systemPrompt: 'One.', tools: ['calculator'], budgets: { sync: { max_iterations: 5 } } });
        expect(two).toMatchObject({ source: 'config', model: 'local/qwen', onBudgetExceeded: 'stop' });
        expect(await db.agents.getByName('seed-shared')).toEqual(apiAgent);

        await db.agents.seedFromConfig(config);
        expect(await db.agents.getByName('seed-one')).toEqual(one);
        expect(await db.agents.getByName('seed-two')).toEqual(two);

        await db.agents.seedFromConfig([{ ...config[0]!, systemPrompt: 'Changed.' }]);
        const changed = await db.agents.getByName('seed-one');
        expect(changed).toMatchObject({ id: one!.id, systemPrompt: 'Changed.', createdAt: one!.createdAt });
        expect(await db.agents.getByName('seed-shared')).toEqual(apiAgent);
      });

      it('survives several processes seeding the same new agents at once', async () => {
        const config: NewAgent[] = Array.from({ length: 5 }, (_, i) => ({ name: `race-${i}`, model: 'auto' }));
        await Promise.all([db.agents.seedFromConfig(config), db.agents.seedFromConfig(config), db.agents.seedFromConfig(config)]);
        const names = (await db.agents.list()).map((a) => a.name).filter((n) => n.startsWith('race-'));
        expect(names).toEqual(config.map((a) => a.name));
      });
    });

    describe('conversations and messages', () => {
      it('creates, reads, renames and deletes a conversation, scoped to its owner', async () => {
        const owner = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        const a = await db.agents.create(agent());
        const c = await db.conversations.create({ ownerKeyId: owner.id, agentId: a.id, externalId: 'chat-1', title: 'Hello' });
        expect(c).toMatchObject({ ownerKeyId: owner.id, agentId: a.id, externalId: 'chat-1', title: 'Hello' });

        expect(await db.conversations.get(c.id)).toEqual(c);
        expect(await db.conversations.get(c.id, owner.id)).toEqual(c);
        expect(await db.conversations.get(c.id, other.id)).toBeNull();
        expect(await db.conversations.get(c.id, null)).toBeNull();
        expect(await db.conversations.findByExternalId(owner.id, 'chat-1')).toEqual(c);
        expect(await db.conversations.findByExternalId(other.id, 'chat-1')).toBeNull();

        expect(await db.conversations.rename(c.id, 'Nope', other.id)).toBeNull();
        const renamed = await db.conversations.rename(c.id, 'Renamed', owner.id);
        expect(renamed).toMatchObject({ id: c.id, title: 'Renamed' });
        expect(renamed!.updatedAt.getTime()).toBeGreaterThanOrEqual(c.updatedAt.getTime());

        expect(await db.conversations.delete(c.id, other.id)).toBe(false);
        expect(await db.conversations.get(c.id)).not.toBeNull();
        expect(await db.conversations.delete(c.id, owner.id)).toBe(true);
        expect(await db.conversations.get(c.id)).toBeNull();
      });

      it('keeps external ids unique per owner only', async () => {
        const [k1, k2] = [await db.apiKeys.create(key()), await db.apiKeys.create(key())];
        await db.conversations.create({ ownerKeyId: k1.id, externalId: 'owui-42' });
        await expect(db.conversations.create({ ownerKeyId: k1.id, externalId: 'owui-42' })).rejects.toBeInstanceOf(ConflictError);
        await expect(db.conversations.create({ ownerKeyId: k2.id, externalId: 'owui-42' })).resolves.toMatchObject({ ownerKeyId: k2.id });
      });

      it('treats a null owner as "ownerless rows" and undefined as "any owner"', async () => {
        const k = await db.apiKeys.create(key());
        const ownerless = await db.conversations.create({ title: 'nobody', externalId: `x-${newId()}` });
        const owned = await db.conversations.create({ ownerKeyId: k.id, title: 'somebody' });
        expect(await db.conversations.get(ownerless.id, null)).toEqual(ownerless);
        expect(await db.conversations.get(owned.id, null)).toBeNull();
        expect(await db.conversations.findByExternalId(null, ownerless.externalId!)).toEqual(ownerless);
        const nullList = await allPages((cursor) => db.conversations.list(null, { cursor, limit: 50 }));
        expect(nullList.every((c) => c.ownerKeyId === null)).toBe(true);
        expect(nullList.map((c) => c.id)).toContain(ownerless.id);
        const anyList = await allPages((cursor) => db.conversations.list(undefined, { cursor, limit: 50 }));
        expect(anyList.map((c) => c.id)).toEqual(expect.arrayContaining([ownerless.id, owned.id]));
      });

      it("lists an owner's conversations newest first, paging over every row once", async () => {
        const k = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        await db.conversations.create({ ownerKeyId: other.id });
        const made = await Promise.all(Array.from({ length: 31 }, (_, i) => db.conversations.create({ ownerKeyId: k.id, title: `c${i}` })));
        const rows = await allPages((cursor) => db.conversations.list(k.id, { cursor, limit: 5 }));
        expect(rows).toHaveLength(31);
        expect(new Set(rows.map((r) => r.id))).toEqual(new Set(made.map((c) => c.id)));
        for (let i = 1; i < rows.length; i++) {
          const [a, b] = [rows[i - 1]!, rows[i]!];
          expect(a.updatedAt > b.updatedAt || (a.updatedAt.getTime() === b.updatedAt.getTime() && a.id > b.id)).toBe(true);
        }
        // Appending to the oldest moves it to the front.
        const oldest = rows[rows.length - 1]!;
        await db.messages.append(oldest.id, [{ role: 'user', content: 'bump' }]);
        expect((await db.conversations.list(k.id, { limit: 1 })).items[0]?.id).toBe(oldest.id);
      });

      it('appends messages in order and lists them oldest first, stable when createdAt ties', async () => {
        const c = await db.conversations.create({});
        const batch = Array.from({ length: 120 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
        const appended = await db.messages.append(c.id, batch);
        expect(appended.map((m) => m.content)).toEqual(batch.map((m) => m.content));
        // One batch shares one createdAt: only the id orders it.
        expect(new Set(appended.map((m) => m.createdAt.getTime())).size).toBe(1);
        await db.messages.append(c.id, [{ role: 'assistant', content: 'last' }]);

        for (const limit of [1, 7, 50, 500]) {
          const rows = await allPages((cursor) => db.messages.list(c.id, { cursor, limit }));
          expect(rows.map((m) => m.content)).toEqual([...batch.map((m) => m.content), 'last']);
        }
        const first = await db.messages.list(c.id, { limit: 2 });
        expect(first.items.map((m) => m.content)).toEqual(['m0', 'm1']);
        expect(first.nextCursor).toEqual(expect.any(String));
        expect(await db.messages.list(c.id, { limit: 200 })).toMatchObject({ nextCursor: null });
      });

      it('round-trips every message field, tool calls included', async () => {
        const c = await db.conversations.create({});
        const runId = newId();
        const toolCalls = [{ id: 'call_1', type: 'function' as const, function: { name: 'calculator', arguments: '{"expression":"2+2"}' } }];
        const [assistant, tool] = await db.messages.append(c.id, [
          { role: 'assistant', content: '', toolCalls, runId, promptTokens: 12, completionTokens: 3 },
          { role: 'tool', content: '4', toolCallId: 'call_1' },
        ]);
        const { items } = await db.messages.list(c.id, { limit: 10 });
        expect(items).toEqual([assistant, tool]);
        expect(items[0]).toMatchObject({ role: 'assistant', toolCalls, runId, promptTokens: 12, completionTokens: 3, toolCallId: null });
        expect(items[1]).toMatchObject({ role: 'tool', toolCalls: null, toolCallId: 'call_1', promptTokens: null, runId: null });
      });

      it('round-trips a 1 MB message body exactly', async () => {
        const c = await db.conversations.create({});
        const ascii = 'abcdefghijklmnopqrstuvwxyz0123456789\n'.repeat(Math.ceil((1024 * 1024) / 37)).slice(0, 1024 * 1024);
        const wide = '日本語🙂'.repeat(100_000); // 1.1 MB of characters, 1.3 MB of UTF-8 with 4-byte code points
        await db.messages.append(c.id, [
          { role: 'user', content: ascii },
          { role: 'assistant', content: wide },
        ]);
        const { items } = await db.messages.list(c.id, { limit: 10 });
        expect(items[0]!.content.length).toBe(1024 * 1024);
        expect(items[0]!.content === ascii).toBe(true);
        expect(items[1]!.content === wide).toBe(true);
      });

      it('round-trips unicode everywhere text is stored', async () => {
        const samples = [
          'emoji 👩🏽‍💻🚀🎉 and 𝄞',
          '中文，日本語のテキスト，한국어',
          'עברית مرحبا بالعالم',
          'combining: e\u0301 n\u0303 a\u030A Z\u0351\u0358\u0360',
          'nul-free control: \t tab \r\n crlf',
        ];
        const text = samples.join(' | ');
        const k = await db.apiKeys.create(key({ name: text.slice(0, 100) }));
        const a = await db.agents.create(agent({ description: text, systemPrompt: text }));
        const c = await db.conversations.create({ ownerKeyId: k.id, title: text, externalId: '会話-🙂-1' });
        await db.messages.append(c.id, samples.map((content) => ({ role: 'user' as const, content })));
        expect((await db.apiKeys.get(k.id))?.name).toBe(text.slice(0, 100));
        expect(await db.agents.get(a.id)).toMatchObject({ description: text, systemPrompt: text });
        expect(await db.conversations.findByExternalId(k.id, '会話-🙂-1')).toMatchObject({ title: text });
        expect((await db.messages.list(c.id, { limit: 10 })).items.map((m) => m.content)).toEqual(samples);
      });

      it('deletes messages with their conversation and keeps the runs, detached', async () => {
        const c = await db.conversations.create({});
        await db.messages.append(c.id, [{ role: 'user', content: 'hi' }]);
        const run = await db.runs.create({ conversationId: c.id, requestedModel: 'auto' });
        expect(await db.conversations.delete(c.id)).toBe(true);
        expect((await db.messages.list(c.id, { limit: 10 })).items).toEqual([]);
        expect(await db.runs.get(run.id)).toMatchObject({ id: run.id, conversationId: null });
      });

      it("deletes a key's conversations with the key and detaches its runs", async () => {
        const k = await db.apiKeys.create(key());
        const c = await db.conversations.create({ ownerKeyId: k.id });
        const run = await db.runs.create({ apiKeyId: k.id, conversationId: c.id, requestedModel: 'auto' });
        await db.apiKeys.delete(k.id);
        expect(await db.conversations.get(c.id)).toBeNull();
        expect(await db.runs.get(run.id)).toMatchObject({ apiKeyId: null, conversationId: null });
      });

      it('detaches conversations and runs from a deleted agent', async () => {
        const a = await db.agents.create(agent());
        const c = await db.conversations.create({ agentId: a.id });
        const run = await db.runs.create({ agentId: a.id, conversationId: c.id, requestedModel: a.name });
        await db.agents.delete(a.id);
        expect(await db.conversations.get(c.id)).toMatchObject({ agentId: null });
        expect(await db.runs.get(run.id)).toMatchObject({ agentId: null, conversationId: c.id });
      });

      it('refuses messages for a missing conversation with NotFoundError', async () => {
        await expect(db.messages.append(newId(), [{ role: 'user', content: 'x' }])).rejects.toBeInstanceOf(NotFoundError);
      });

      it('refuses a conversation for a missing owner with NotFoundError', async () => {
        await expect(db.conversations.create({ ownerKeyId: newId() })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('refuses cursors it did not make with InvalidCursorError', async () => {
        const c = await db.conversations.create({});
        await expect(db.messages.list(c.id, { cursor: 'garbage', limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError);
        await db.messages.append(c.id, [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }]);
        const page = await db.messages.list(c.id, { limit: 1 });
        await expect(db.conversations.list(undefined, { cursor: page.nextCursor, limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError);
      });

      it('refuses values longer than their column with InvalidDataError on every backend', async () => {
        await expect(db.agents.create(agent({ name: 'x'.repeat(192) }))).rejects.toBeInstanceOf(InvalidDataError);
      });
    });

    describe('runs and provider calls', () => {
      it('creates a run with defaults, reads it scoped to its key, updates it', async () => {
        const k = await db.apiKeys.create(key());
        const run = await db.runs.create({ apiKeyId: k.id, requestedModel: 'auto' });
        expect(run).toMatchObject({
          status: 'queued',
          mode: 'sync',
          attempt: 0,
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          provider: null,
          output: null,
          heartbeatAt: null,
        });
        expect(await db.runs.get(run.id, k.id)).toEqual(run);
        expect(await db.runs.get(run.id, newId())).toBeNull();
        expect(await db.runs.get(run.id)).toEqual(run);

        const startedAt = new Date();
        const output = { stages: [{ name: 'draft', text: 'ok 🙂' }], n: 1.5 };
        const updated = await db.runs.update(run.id, {
          status: 'succeeded',
          mode: 'background',
          provider: 'local',
          providerModel: 'qwen2.5-0.5b',
          attempt: 2,
          startedAt,
          finishedAt: startedAt,
          promptTokens: 10,
          completionTokens: 20,
          cost: 0.000123,
          finishReason: 'stop',
          error: 'e'.repeat(100_000),
          output,
        });
        expect(updated).toMatchObject({ status: 'succeeded', mode: 'background', attempt: 2, cost: 0.000123, output, startedAt });
        expect(updated!.error).toHaveLength(100_000);
        expect(await db.runs.get(run.id)).toEqual(updated);
        expect(await db.runs.update(run.id, { output: null })).toMatchObject({ output: null });
        expect(await db.runs.update(newId(), { status: 'failed' })).toBeNull();
      });

      it('finds live runs whose heartbeat is older than a moment', async () => {
        const old = new Date(Date.now() - 60_000);
        const recent = new Date();
        const stale = await db.runs.create({ requestedModel: 'auto', status: 'running', heartbeatAt: old });
        const staleBackground = await db.runs.create({ requestedModel: 'auto', status: 'background', heartbeatAt: old });
        const fresh = await db.runs.create({ requestedModel: 'auto', status: 'running', heartbeatAt: old });
        await db.runs.heartbeat(fresh.id, recent);
        const finished = await db.runs.create({ requestedModel: 'auto', status: 'succeeded', heartbeatAt: old });
        const found = (await db.runs.findStale(new Date(Date.now() - 30_000), 1000)).map((r) => r.id);
        expect(found).toEqual(expect.arrayContaining([stale.id, staleBackground.id]));
        expect(found).not.toContain(fresh.id);
        expect(found).not.toContain(finished.id);
        expect((await db.runs.get(fresh.id))?.heartbeatAt).toEqual(recent);
        expect(await db.runs.findStale(new Date(), 1)).toHaveLength(1);
      });

      it('heartbeats many runs in one call and marks runs started, creating or updating them', async () => {
        const old = new Date(Date.now() - 60_000);
        const a = await db.runs.create({ requestedModel: 'auto', status: 'running', heartbeatAt: old });
        const b = await db.runs.create({ requestedModel: 'auto', status: 'running', heartbeatAt: old });
        const at = new Date();
        await db.runs.heartbeatMany([a.id, b.id, newId()], at);
        await db.runs.heartbeatMany([], at);
        expect((await db.runs.get(a.id))?.heartbeatAt).toEqual(at);
        expect((await db.runs.get(b.id))?.heartbeatAt).toEqual(at);

        const startedAt = new Date();
        const fresh = newId();
        const done = await db.runs.create({ requestedModel: 'auto', status: 'succeeded' });
        await db.runs.markStarted([
          { id: fresh, apiKeyId: null, requestedModel: 'fake/m1', attempt: 1, startedAt },
          { id: a.id, apiKeyId: null, requestedModel: 'auto', attempt: 2, startedAt },
          { id: done.id, apiKeyId: null, requestedModel: 'auto', attempt: 2, startedAt },
        ]);
        expect(await db.runs.get(fresh)).toMatchObject({ status: 'running', attempt: 1, requestedModel: 'fake/m1', startedAt, heartbeatAt: startedAt, conversationId: null });
        expect(await db.runs.get(a.id)).toMatchObject({ status: 'running', attempt: 2, heartbeatAt: startedAt });
        // A finished run is never reopened by a late start write.
        expect(await db.runs.get(done.id)).toMatchObject({ status: 'succeeded', attempt: 0 });
      });

      it('lists the runs of a conversation oldest first', async () => {
        const c = await db.conversations.create({});
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(await db.runs.create({ conversationId: c.id, requestedModel: `m${i}` }));
        expect((await db.runs.listByConversation(c.id)).map((r) => r.id)).toEqual(runs.map((r) => r.id));
      });

      it('lists runs newest first, scoped to their key, filtered, across pages', async () => {
        const k = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        const c = await db.conversations.create({ ownerKeyId: k.id });
        const base = Date.now() - 3_600_000;
        const made: Awaited<ReturnType<typeof db.runs.create>>[] = [];
        // Several rows share a createdAt: the id breaks the tie, so pages neither skip nor repeat one.
        for (let i = 0; i < 7; i++) {
          made.push(
            await db.runs.create({
              apiKeyId: k.id,
              requestedModel: i % 2 ? 'council' : 'auto',
              status: i < 5 ? 'succeeded' : 'failed',
              provider: 'fake',
              providerModel: i % 3 ? 'm1' : 'm2',
              conversationId: i === 6 ? c.id : null,
            }),
          );
        }
        const theirs = await db.runs.create({ apiKeyId: other.id, requestedModel: 'auto' });
        const ids = async (filter: Parameters<typeof db.runs.list>[1], owner: string | null | undefined = k.id) =>
          (await allPages((cursor) => db.runs.list(owner, filter, { cursor, limit: 2 }))).map((r) => r.id);

        const all = await ids({});
        expect(new Set(all)).toEqual(new Set(made.map((r) => r.id)));
        expect(all).toHaveLength(7);
        const rows = await Promise.all(all.map((id) => db.runs.get(id)));
        for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(rows[i]!.createdAt.getTime());
        expect(await ids({}, other.id)).toEqual([theirs.id]);
        // No owner (an admin): every key's runs.
        const everyone = (await allPages((cursor) => db.runs.list(undefined, {}, { cursor, limit: 50 }))).map((r) => r.id);
        expect(everyone).toEqual(expect.arrayContaining([...all, theirs.id]));

        expect(new Set(await ids({ status: 'failed' }))).toEqual(new Set([made[5]!.id, made[6]!.id]));
        expect(new Set(await ids({ requestedModel: 'council' }))).toEqual(new Set([1, 3, 5].map((i) => made[i]!.id)));
        expect(new Set(await ids({ model: 'fake/m2' }))).toEqual(new Set([0, 3, 6].map((i) => made[i]!.id)));
        expect(new Set(await ids({ model: 'council' }))).toEqual(new Set([1, 3, 5].map((i) => made[i]!.id)));
        expect(await ids({ conversationId: c.id })).toEqual([made[6]!.id]);
        expect(await ids({ status: 'failed', requestedModel: 'council' })).toEqual([made[5]!.id]);
        expect(await ids({ from: new Date(base) })).toHaveLength(7);
        expect(await ids({ to: new Date(base) })).toEqual([]);
        expect(await ids({ from: new Date(Date.now() + 60_000) })).toEqual([]);
        await expect(db.runs.list(k.id, {}, { cursor: 'not-a-cursor', limit: 2 })).rejects.toBeInstanceOf(InvalidCursorError);
      });

      it('records provider calls of a run and lists them in order', async () => {
        const run = await db.runs.create({ requestedModel: 'auto' });
        const a = await db.providerCalls.create({ runId: run.id, provider: 'local', model: 'qwen', latencyMs: 120, promptTokens: 5, completionTokens: 6, outcome: 'error', error: 'boom' });
        const b = await db.providerCalls.create({ runId: run.id, provider: 'openrouter', model: 'llama', latencyMs: 80, ttftMs: 12, promptTokens: 5, completionTokens: 9, outcome: 'ok', cached: true });
        expect(a).toMatchObject({ ttftMs: null, cached: false, error: 'boom' });
        expect(await db.providerCalls.listByRun(run.id)).toEqual([a, b]);
        await expect(db.providerCalls.create({ runId: newId(), provider: 'x', model: 'y', latencyMs: 1, promptTokens: 0, completionTokens: 0, outcome: 'ok' })).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('usage', () => {
      // Days of their own (one per test), far from the runs the other tests make now, so the sums are only these.
      const dayRange = (day: string) => {
        const from = new Date(`${day}T00:00:00.000Z`);
        return { from, to: new Date(from.getTime() + 86_400_000) };
      };

      async function seed(day: string) {
        const at = (time: string) => new Date(`${day}T${time}Z`);
        const { from, to } = dayRange(day);
        const a = await db.apiKeys.create(key({ name: 'usage-a', prefix: 'sb-usea' }));
        const b = await db.apiKeys.create(key({ name: 'usage-b', prefix: 'sb-useb' }));
        const run = (apiKeyId: string | null, createdAt: Date, fields: Partial<Parameters<typeof db.runs.create>[0]> = {}) =>
          db.runs.create({ apiKeyId, requestedModel: 'auto', status: 'succeeded', provider: 'fake', providerModel: 'm1', createdAt, ...fields });
        // The last millisecond before the day and the first of the next: outside [from, to).
        await run(a.id, new Date(from.getTime() - 1), { promptTokens: 1000 });
        await run(a.id, to, { promptTokens: 1000 });
        await run(a.id, at('00:00:00.000'), { promptTokens: 10, completionTokens: 20, cost: 0.001 });
        await run(a.id, at('23:59:59.999'), { promptTokens: 1, completionTokens: 2, cost: 0.002 });
        await run(a.id, at('12:00:00.000'), { provider: 'local', providerModel: 'qwen', promptTokens: 5, completionTokens: 5 });
        // Nobody answered: it counts under the model it asked for.
        await run(a.id, at('13:00:00.000'), { requestedModel: 'council', status: 'failed', provider: null, providerModel: null, promptTokens: 3 });
        await run(b.id, at('14:00:00.000'), { promptTokens: 7, completionTokens: 8, cost: 0.5 });
        await run(null, at('15:00:00.000'), { promptTokens: 4, completionTokens: 4 });
        // A cache hit: the provider call the router recorded is marked cached.
        const cachedId = newId();
        await db.recordRun({
          run: { id: cachedId, apiKeyId: b.id, requestedModel: 'fake/m1', status: 'succeeded', provider: 'fake', providerModel: 'm1', promptTokens: 7, completionTokens: 8, createdAt: at('16:00:00.000') },
          messages: [],
          providerCalls: [{ runId: cachedId, provider: 'fake', model: 'm1', latencyMs: 0, promptTokens: 7, completionTokens: 8, outcome: 'ok', cached: true }],
        });
        return { a, b };
      }

      it('sums runs by key, model and UTC day in [from, to), with the key names and cache hits', async () => {
        const day = '2031-03-05';
        const { a, b } = await seed(day);
        const rows = await db.runs.usage(undefined, { ...dayRange(day), groupBy: ['key', 'model', 'day'] });
        const zero = { runs: 1, cachedRuns: 0, promptTokens: 0, completionTokens: 0, cost: 0 };
        expect(rows).toEqual([
          { apiKeyId: null, keyName: null, keyPrefix: null, model: 'fake/m1', day, ...zero, promptTokens: 4, completionTokens: 4 },
          ...[
            { apiKeyId: a.id, keyName: 'usage-a', keyPrefix: 'sb-usea', model: 'council', day, ...zero, promptTokens: 3 },
            { apiKeyId: a.id, keyName: 'usage-a', keyPrefix: 'sb-usea', model: 'fake/m1', day, ...zero, runs: 2, promptTokens: 11, completionTokens: 22, cost: expect.closeTo(0.003, 10) },
            { apiKeyId: a.id, keyName: 'usage-a', keyPrefix: 'sb-usea', model: 'local/qwen', day, ...zero, promptTokens: 5, completionTokens: 5 },
            { apiKeyId: b.id, keyName: 'usage-b', keyPrefix: 'sb-useb', model: 'fake/m1', day, ...zero, runs: 2, cachedRuns: 1, promptTokens: 14, completionTokens: 16, cost: 0.5 },
          ].sort((x, y) => (x.apiKeyId === y.apiKeyId ? 0 : x.apiKeyId < y.apiKeyId ? -1 : 1)),
        ]);
      });

      it('groups by fewer dimensions, down to one row of totals, and scopes to an owner', async () => {
        const day = '2031-04-05';
        const { a, b } = await seed(day);
        const only = (groupBy: ('key' | 'model' | 'day')[], owner?: string | null) => db.runs.usage(owner, { ...dayRange(day), groupBy });
        const byKey = await only(['key']);
        const ofKey = (id: string) => byKey.find((r) => r.apiKeyId === id);
        expect(ofKey(a.id)).toMatchObject({ model: null, day: null, keyName: 'usage-a', runs: 4, promptTokens: 19, completionTokens: 27 });
        expect(ofKey(b.id)).toMatchObject({ runs: 2, cachedRuns: 1, promptTokens: 14, cost: 0.5 });

        const totals = await only([]);
        expect(totals).toHaveLength(1);
        const total = totals[0]!;
        expect(total).toMatchObject({ apiKeyId: null, keyName: null, model: null, day: null, runs: 7, cachedRuns: 1, promptTokens: 37, completionTokens: 47 });
        expect(total.cost).toBeCloseTo(0.503, 9);
        expect(await only(['day'])).toEqual([{ ...total, day }]);
        expect((await only(['model'])).map((r) => [r.model, r.runs])).toEqual([
          ['council', 1],
          ['fake/m1', 5],
          ['local/qwen', 1],
        ]);

        expect(await only(['key', 'model'], a.id)).toEqual([
          expect.objectContaining({ apiKeyId: a.id, model: 'council', runs: 1 }),
          expect.objectContaining({ apiKeyId: a.id, model: 'fake/m1', runs: 2 }),
          expect.objectContaining({ apiKeyId: a.id, model: 'local/qwen', runs: 1 }),
        ]);
        expect(await only(['key'], null)).toEqual([expect.objectContaining({ apiKeyId: null, runs: 1, promptTokens: 4 })]);
        expect(await db.runs.usage(undefined, { from: new Date('2031-03-07T00:00:00Z'), to: new Date('2031-03-08T00:00:00Z'), groupBy: [] })).toEqual([]);
      });
    });

    describe('recordRun', () => {
      it('writes a finished run with its new conversation, messages, provider calls and spend', async () => {
        const k = await db.apiKeys.create(key());
        const a = await db.agents.create(agent());
        const conversationId = newId();
        const runId = newId();
        const finishedAt = new Date();
        await db.recordRun({
          conversation: { id: conversationId, ownerKeyId: k.id, agentId: a.id, externalId: 'rec-1', title: 'Recorded' },
          run: { id: runId, conversationId, agentId: a.id, apiKeyId: k.id, requestedModel: a.name, status: 'succeeded', provider: 'local', providerModel: 'qwen', promptTokens: 11, completionTokens: 22, cost: 0.5, finishReason: 'stop', finishedAt },
          messages: [
            { conversationId, role: 'user', content: 'question' },
            { conversationId, role: 'assistant', content: 'answer', runId, promptTokens: 11, completionTokens: 22 },
          ],
          providerCalls: [{ runId, provider: 'local', model: 'qwen', latencyMs: 50, promptTokens: 11, completionTokens: 22, outcome: 'ok' }],
          spend: { apiKeyId: k.id, tokens: 33, cost: 0.5 },
        });
        expect(await db.conversations.get(conversationId, k.id)).toMatchObject({ externalId: 'rec-1', title: 'Recorded' });
        expect(await db.runs.get(runId)).toMatchObject({ status: 'succeeded', conversationId, promptTokens: 11, cost: 0.5, finishedAt });
        expect((await db.messages.list(conversationId, { limit: 10 })).items.map((m) => [m.role, m.content])).toEqual([
          ['user', 'question'],
          ['assistant', 'answer'],
        ]);
        expect(await db.providerCalls.listByRun(runId)).toHaveLength(1);
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 33, spentCost: 0.5 });
      });

      it('updates a run the gateway created and appends to an existing conversation', async () => {
        const c = await db.conversations.create({});
        const run = await db.runs.create({ conversationId: c.id, requestedModel: 'auto', status: 'running', heartbeatAt: new Date(), attempt: 1 });
        await db.recordRun({
          run: { id: run.id, requestedModel: 'auto', conversationId: c.id, status: 'failed', error: 'provider down' },
          messages: [{ conversationId: c.id, role: 'assistant', content: 'partial' }],
          providerCalls: [],
        });
        const after = await db.runs.get(run.id);
        expect(after).toMatchObject({ status: 'failed', error: 'provider down', attempt: 1, createdAt: run.createdAt });
        expect(after!.heartbeatAt).toEqual(run.heartbeatAt);
        expect((await db.messages.list(c.id, { limit: 10 })).items.map((m) => m.content)).toEqual(['partial']);
      });

      it('writes nothing at all when any part fails', async () => {
        const k = await db.apiKeys.create(key());
        const existing = await db.conversations.create({});
        const [taken] = await db.messages.append(existing.id, [{ role: 'user', content: 'first' }]);
        const conversationId = newId();
        const runId = newId();
        const error = await db
          .recordRun({
            conversation: { id: conversationId, ownerKeyId: k.id },
            run: { id: runId, conversationId, apiKeyId: k.id, requestedModel: 'auto', status: 'succeeded' },
            messages: [
              { conversationId, role: 'user', content: 'fine' },
              // Reuses an existing message id: the insert fails after everything above was written.
              { id: taken!.id, conversationId, role: 'assistant', content: 'clash' },
            ],
            providerCalls: [{ runId, provider: 'p', model: 'm', latencyMs: 1, promptTokens: 0, completionTokens: 0, outcome: 'ok' }],
            spend: { apiKeyId: k.id, tokens: 100, cost: 1 },
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(await db.conversations.get(conversationId)).toBeNull();
        expect(await db.runs.get(runId)).toBeNull();
        expect(await db.providerCalls.listByRun(runId)).toEqual([]);
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 0, spentCost: 0 });
        expect((await db.messages.list(existing.id, { limit: 10 })).items.map((m: MessageRow) => m.content)).toEqual(['first']);
      });

      it('joins the conversation another run created for the same owner and external id, even at the same moment', async () => {
        const k = await db.apiKeys.create(key());
        const runs = Array.from({ length: 3 }, (_, i) => {
          const conversationId = newId();
          const runId = newId();
          return {
            conversation: { id: conversationId, ownerKeyId: k.id, externalId: 'owui-chat-7', title: `t${i}` },
            run: { id: runId, conversationId, apiKeyId: k.id, requestedModel: 'auto', status: 'succeeded' as const },
            messages: [{ conversationId, role: 'assistant' as const, content: `answer ${i}`, runId }],
            providerCalls: [],
          };
        });
        const outcomes = await Promise.allSettled(runs.map((r) => db.recordRun(r)));
        expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
        const conversation = await db.conversations.findByExternalId(k.id, 'owui-chat-7');
        expect(conversation).not.toBeNull();
        const messages = (await db.messages.list(conversation!.id, { limit: 10 })).items.map((m) => m.content).sort();
        expect(messages).toEqual(['answer 0', 'answer 1', 'answer 2']);
        expect((await db.runs.listByConversation(conversation!.id)).map((r) => r.id).sort()).toEqual(runs.map((r) => r.run.id).sort());
      });

      it('keeps every spend when many runs of one key finish at once', async () => {
        const k = await db.apiKeys.create(key());
        await Promise.all(
          Array.from({ length: 10 }, () => {
            const runId = newId();
            return db.recordRun({
              run: { id: runId, apiKeyId: k.id, requestedModel: 'auto', status: 'succeeded' },
              messages: [],
              providerCalls: [],
              spend: { apiKeyId: k.id, tokens: 5, cost: 0.25 },
            });
          }),
        );
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 50, spentCost: 2.5 });
      });
    });

    describe('recordRuns', () => {
      /** A finished run of `ownerKeyId` in a conversation that the record brings along (a worker's shape). */
      function finished(ownerKeyId: string | null, conversation: { id?: string; externalId?: string | null } = {}, tokens = 3): CompletedRunRecord {
        const conversationId = conversation.id ?? newId();
        const runId = newId();
        return {
          conversation: { id: conversationId, ownerKeyId, externalId: conversation.externalId ?? null, title: `title of ${runId}` },
          run: { id: runId, conversationId, apiKeyId: ownerKeyId, requestedModel: 'auto', status: 'succeeded', promptTokens: 1, completionTokens: tokens - 1 },
          messages: [
            { id: newId(), conversationId, role: 'user', content: `question ${runId}` },
            { id: newId(), conversationId, role: 'assistant', content: `answer ${runId}`, runId },
          ],
          providerCalls: [{ runId, provider: 'local', model: 'qwen', latencyMs: 5, promptTokens: 1, completionTokens: tokens - 1, outcome: 'ok' }],
          spend: ownerKeyId ? { apiKeyId: ownerKeyId, tokens, cost: 0.25 } : undefined,
        };
      }
      const contents = async (conversationId: string) => (await db.messages.list(conversationId, { limit: 100 })).items.map((m) => m.content);

      it('writes a batch of 300 runs with every row in place and spend summed per key', async () => {
        const keys = await Promise.all([0, 1, 2].map(() => db.apiKeys.create(key())));
        const records = Array.from({ length: 300 }, (_, i) => finished(keys[i % 3]!.id, { externalId: i % 2 ? `ext-${i}` : null }, 3));
        await db.recordRuns(records);

        for (const [i, k] of keys.entries()) {
          expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 300, spentCost: 25 });
          const listed = await allPages((cursor) => db.conversations.list(k.id, { limit: 40, cursor }));
          expect(listed.map((c) => c.id).sort()).toEqual(records.filter((_, j) => j % 3 === i).map((r) => r.conversation!.id).sort());
        }
        for (const r of records) {
          const conversationId = r.conversation!.id;
          expect(await db.runs.get(r.run.id)).toMatchObject({ status: 'succeeded', conversationId, apiKeyId: r.run.apiKeyId, promptTokens: 1, completionTokens: 2 });
          expect(await contents(conversationId)).toEqual(r.messages.map((m) => m.content));
          expect((await db.providerCalls.listByRun(r.run.id)).map((c) => c.outcome)).toEqual(['ok']);
          expect((await db.conversations.get(conversationId))?.externalId).toBe(r.conversation!.externalId);
        }
      });

      it('resolves every kind of conversation in one mixed batch and updates runs that already existed', async () => {
        const owner = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        const existing = await db.conversations.create({ ownerKeyId: owner.id, title: 'existing' });
        const storedTwin = await db.conversations.create({ ownerKeyId: owner.id, externalId: 'stored-chat', title: 'stored twin' });
        const foreign = await db.conversations.create({ ownerKeyId: other.id, externalId: 'shared-chat', title: 'not yours' });
        await db.messages.append(foreign.id, [{ role: 'user', content: 'private' }]);
        const gatewayRun = await db.runs.create({ conversationId: existing.id, apiKeyId: owner.id, requestedModel: 'auto', status: 'running', attempt: 2, heartbeatAt: new Date() });
        await new Promise((resolve) => setTimeout(resolve, 5));

        const toExisting = finished(owner.id, { id: existing.id }, 10);
        toExisting.run = { ...toExisting.run, id: gatewayRun.id, status: 'succeeded', finishReason: 'stop' };
        toExisting.messages[1]!.runId = gatewayRun.id;
        toExisting.providerCalls[0]!.runId = gatewayRun.id;
        const fresh = finished(owner.id, {}, 20);
        const batchTwinA = finished(owner.id, { externalId: 'batch-chat' }, 30);
        const batchTwinB = finished(owner.id, { externalId: 'batch-chat' }, 40);
        const joinsStored = finished(owner.id, { externalId: 'stored-chat' }, 50);
        const hijack = finished(owner.id, { id: foreign.id }, 60);
        // Same external id as the other owner's conversation: external ids are per owner, so this one is new.
        const sameExternalOtherOwner = finished(owner.id, { externalId: 'shared-chat' }, 70);
        const otherOwnersRun = finished(other.id, { id: foreign.id }, 80);
        await db.recordRuns([toExisting, fresh, batchTwinA, batchTwinB, joinsStored, hijack, sameExternalOtherOwner, otherOwnersRun]);

        // The existing conversation and run: appended to, updated in place, not duplicated, fields kept.
        expect(await contents(existing.id)).toEqual(toExisting.messages.map((m) => m.content));
        expect((await db.conversations.get(existing.id))!.updatedAt.getTime()).toBeGreaterThan(existing.updatedAt.getTime());
        expect((await db.conversations.get(existing.id))!.title).toBe('existing');
        expect(await db.runs.listByConversation(existing.id)).toHaveLength(1);
        expect(await db.runs.get(gatewayRun.id)).toMatchObject({ status: 'succeeded', finishReason: 'stop', attempt: 2, heartbeatAt: gatewayRun.heartbeatAt, createdAt: gatewayRun.createdAt, completionTokens: 9 });

        expect(await db.conversations.get(fresh.conversation!.id, owner.id)).toMatchObject({ title: fresh.conversation!.title });
        expect(await contents(fresh.conversation!.id)).toEqual(fresh.messages.map((m) => m.content));

        // Two records of one client conversation in the same batch: one conversation, both runs, in batch order.
        const batchTwin = (await db.conversations.findByExternalId(owner.id, 'batch-chat'))!;
        expect(batchTwin.id).toBe(batchTwinA.conversation!.id);
        expect(await db.conversations.get(batchTwinB.conversation!.id)).toBeNull();
        expect(await contents(batchTwin.id)).toEqual([...batchTwinA.messages, ...batchTwinB.messages].map((m) => m.content));
        expect((await db.runs.listByConversation(batchTwin.id)).map((r) => r.id).sort()).toEqual([batchTwinA.run.id, batchTwinB.run.id].sort());

        expect(await db.conversations.get(joinsStored.conversation!.id)).toBeNull();
        expect(await contents(storedTwin.id)).toEqual(joinsStored.messages.map((m) => m.content));
        expect(await db.runs.get(joinsStored.run.id)).toMatchObject({ conversationId: storedTwin.id });

        // Someone else's conversation id: only its owner's record wrote there; the other got a conversation of its own.
        expect(await db.conversations.get(foreign.id)).toMatchObject({ ownerKeyId: other.id, title: 'not yours', externalId: 'shared-chat' });
        expect(await contents(foreign.id)).toEqual(['private', ...otherOwnersRun.messages.map((m) => m.content)]);
        const hijackRun = (await db.runs.get(hijack.run.id))!;
        expect(hijackRun.conversationId).not.toBe(foreign.id);
        expect(await db.conversations.get(hijackRun.conversationId!, owner.id)).toMatchObject({ title: hijack.conversation!.title });
        expect(await contents(hijackRun.conversationId!)).toEqual(hijack.messages.map((m) => m.content));
        expect(await db.runs.get(otherOwnersRun.run.id)).toMatchObject({ conversationId: foreign.id });

        const ownSharedChat = (await db.conversations.findByExternalId(owner.id, 'shared-chat'))!;
        expect(ownSharedChat.id).toBe(sameExternalOtherOwner.conversation!.id);
        expect(await contents(ownSharedChat.id)).toEqual(sameExternalOtherOwner.messages.map((m) => m.content));

        expect(await db.apiKeys.get(owner.id)).toMatchObject({ spentTokens: 10 + 20 + 30 + 40 + 50 + 60 + 70, spentCost: 1.75 });
        expect(await db.apiKeys.get(other.id)).toMatchObject({ spentTokens: 80, spentCost: 0.25 });
        expect((await allPages((cursor) => db.conversations.list(owner.id, { limit: 50, cursor }))).length).toBe(6);
      });

      it('joins a stored conversation with the external id even when its own id belongs to someone else', async () => {
        const owner = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        const foreign = await db.conversations.create({ ownerKeyId: other.id });
        const twin = await db.conversations.create({ ownerKeyId: owner.id, externalId: 'owui-9' });
        const record = finished(owner.id, { id: foreign.id, externalId: 'owui-9' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        await db.recordRun(record);
        expect(await db.runs.get(record.run.id)).toMatchObject({ conversationId: twin.id });
        expect(await contents(twin.id)).toEqual(record.messages.map((m) => m.content));
        expect(await contents(foreign.id)).toEqual([]);
        expect(await db.conversations.get(foreign.id)).toEqual(foreign);
      });

      it('creates a conversation that two records of a batch share once, and gives a second owner of its id a new one', async () => {
        const owner = await db.apiKeys.create(key());
        const other = await db.apiKeys.create(key());
        const first = finished(owner.id);
        const second = finished(owner.id, { id: first.conversation!.id });
        const intruder = finished(other.id, { id: first.conversation!.id });
        await db.recordRuns([first, second, intruder]);
        expect(await db.conversations.get(first.conversation!.id, owner.id)).not.toBeNull();
        expect(await contents(first.conversation!.id)).toEqual([...first.messages, ...second.messages].map((m) => m.content));
        const intruderConversation = (await db.runs.get(intruder.run.id))!.conversationId!;
        expect(intruderConversation).not.toBe(first.conversation!.id);
        expect(await db.conversations.get(intruderConversation, other.id)).not.toBeNull();
        expect(await contents(intruderConversation)).toEqual(intruder.messages.map((m) => m.content));
      });

      it('creates a run that appears twice in a batch once, then updates it, like two recordRun calls', async () => {
        const started = finished(null);
        started.run.status = 'running';
        const ended = { ...finished(null, { id: started.conversation!.id }), run: { id: started.run.id, requestedModel: 'auto', status: 'failed' as const, error: 'boom' } };
        ended.providerCalls = [{ ...ended.providerCalls[0]!, runId: started.run.id }];
        await db.recordRuns([started, ended]);
        expect(await db.runs.get(started.run.id)).toMatchObject({ status: 'failed', error: 'boom', conversationId: started.conversation!.id, completionTokens: 2 });
        expect(await db.runs.listByConversation(started.conversation!.id)).toHaveLength(1);
        expect(await db.providerCalls.listByRun(started.run.id)).toHaveLength(2);
      });

      it('writes nothing of a batch when one record fails, and nothing at all for an empty batch', async () => {
        const k = await db.apiKeys.create(key());
        const good = finished(k.id);
        const bad = finished(k.id);
        bad.messages[0]!.id = good.messages[0]!.id;
        const error = await db.recordRuns([good, bad]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).target.model).toBe('Message');
        expect(await db.conversations.get(good.conversation!.id)).toBeNull();
        expect(await db.runs.get(good.run.id)).toBeNull();
        expect(await db.providerCalls.listByRun(good.run.id)).toEqual([]);
        expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 0, spentCost: 0 });

        await expect(db.recordRuns([])).resolves.toBeUndefined();
      });

      it('keeps every spend and one conversation per external id when batches with the same keys and chats race', async () => {
        const keys = await Promise.all([0, 1, 2].map(() => db.apiKeys.create(key())));
        const batches = Array.from({ length: 4 }, (_, b) =>
          // Keys in a different order in every batch: the writes must still not deadlock for good.
          Array.from({ length: 6 }, (_, i) => finished(keys[(i + b) % 3]!.id, { externalId: `race-${i % 2}` }, 4)),
        );
        // allSettled: a failing batch must not end the test while the others still hold connections.
        const outcomes = await Promise.allSettled(batches.map((batch) => db.recordRuns(batch)));
        expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
        for (const k of keys) {
          expect(await db.apiKeys.get(k.id)).toMatchObject({ spentTokens: 32, spentCost: 2 });
          for (const externalId of ['race-0', 'race-1']) {
            const conversation = (await db.conversations.findByExternalId(k.id, externalId))!;
            const expected = batches.flat().filter((r) => r.run.apiKeyId === k.id && r.conversation!.externalId === externalId);
            expect((await db.runs.listByConversation(conversation.id)).map((r) => r.id).sort()).toEqual(expected.map((r) => r.run.id).sort());
            expect(await contents(conversation.id)).toHaveLength(expected.length * 2);
          }
          expect(await allPages((cursor) => db.conversations.list(k.id, { limit: 50, cursor }))).toHaveLength(2);
        }
      });
    });

    describe('pipelines', () => {
      it('saves pipelines with their stages as JSON, refuses a taken name, lists by name and deletes', async () => {
        const stages = [
          { name: 'draft', type: 'single', model: 'auto', system_prompt: '', output_mode: 'answer_only' },
          { name: 'check', type: 'multi', models: ['a/x', 'b/y'], aggregate: { method: 'vote' }, input_from: ['draft', 'request'], system_prompt: 'x'.repeat(70_000), output_mode: 'input_plus_answer' },
        ];
        const zeta = await db.pipelines.create({ name: 'zeta-pipeline', stages, createdBy: 'k1' });
        expect(zeta).toMatchObject({ name: 'zeta-pipeline', description: '', stages, createdBy: 'k1' });
        const alpha = await db.pipelines.create({ name: 'alpha-pipeline', description: 'first', stages: [stages[0]] });
        expect(alpha.createdBy).toBeNull();
        await expect(db.pipelines.create({ name: 'zeta-pipeline', stages })).rejects.toBeInstanceOf(ConflictError);
        expect(await db.pipelines.get(zeta.id)).toEqual(zeta);
        const names = (await db.pipelines.list()).map((p) => p.name);
        expect(names.indexOf('alpha-pipeline')).toBeLessThan(names.indexOf('zeta-pipeline'));
        expect(await db.pipelines.delete(zeta.id)).toBe(true);
        expect(await db.pipelines.delete(zeta.id)).toBe(false);
        expect(await db.pipelines.get(zeta.id)).toBeNull();
      });
    });

    describe('benchmarks', () => {
      it('stores a benchmark, fills in its results as JSON and lists newest first', async () => {
        const request = { models: ['local/test-model', 'remote/m'], reference_model: null, prompt_set: 'standard', max_tokens: 16 };
        const first = await db.benchmarks.create({ request });
        expect(first).toMatchObject({ status: 'queued', apiKeyId: null, request, results: null, recommendations: null, error: null, startedAt: null });
        const second = await db.benchmarks.create({ request: { ...request, models: ['x/y'] }, apiKeyId: 'k1' });

        const startedAt = new Date();
        expect(await db.benchmarks.update(first.id, { status: 'running', startedAt })).toMatchObject({ status: 'running', startedAt });
        // A long answer text must fit on every backend (MySQL's JSON, not a 64 KB TEXT).
        const results = [{ model: 'local/test-model', answers: [{ text: 'x'.repeat(70_000) }], score: 0.5 }];
        const recommendations = [{ agent: 'assistant', model: 'local/test-model', reason: 'cheapest' }];
        const done = await db.benchmarks.update(first.id, { status: 'succeeded', results, recommendations, finishedAt: new Date() });
        expect(done).toMatchObject({ status: 'succeeded', results, recommendations, request });
        expect(await db.benchmarks.get(first.id)).toEqual(done);
        expect(await db.benchmarks.update(newId(), { status: 'failed' })).toBeNull();
        expect(await db.benchmarks.get(newId())).toBeNull();

        const listed = await allPages((cursor) => db.benchmarks.list({ limit: 1, cursor }));
        const ids = listed.map((b) => b.id);
        expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
        await expect(db.benchmarks.list({ limit: 5, cursor: 'bogus' })).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });

    recordRunsStorageConformance(() => db);
  });
}
