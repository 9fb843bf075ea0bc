import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  type CompletedRunRecord,
  type Database,
  type MessageRow,
  newId,
  type NewMessage,
  type NewProviderCall,
  type NewRun,
  NotFoundError,
  type ProviderCallRow,
  type RunRow,
} from '../../src/index.js';

/**
 * recordRuns writes its rows with hand-written bulk INSERTs while every other write goes through Prisma:
 * these tests hold the two to the same stored values, column by column, and push batches past the limits of a
 * single statement (parameter count, and MySQL's max_allowed_packet of 16 MB on the MariaDB here).
 * Part of the repository conformance suite (it passes the open database in).
 */
export function recordRunsStorageConformance(database: () => Database): void {
  describe('recordRuns storage', () => {
    const text = 'emoji 👩🏽‍💻🚀 𝄞 中文 עברית e\u0301 "double" \'single\' `back` \\ $1 ? %s :name \t\r\n end';
    const at = new Date('2031-02-03T04:05:06.789Z');
    const whole = new Date('1999-12-31T23:59:59.000Z');
    const toolCalls = [{ id: 'call_1', type: 'function' as const, function: { name: 'calculator', arguments: `{"expression":"2+2","note":${JSON.stringify(text)}}` } }];
    const outputs: unknown[] = [
      { stages: [{ name: 'draft', text }], n: 1.5, nothing: null, flag: true, max: Number.MAX_SAFE_INTEGER, nested: { empty: [], obj: {} } },
      'a bare JSON string',
      42,
      [1, 'two', { three: 3 }],
      null,
    ];
    const costs = [0.000123, 1e-7, 1234567890.0123458, 0.1 + 0.2, 0];

    const withoutIdentity = <T extends object>(row: T, ...also: string[]) =>
      Object.fromEntries(Object.entries(row).filter(([k]) => !['id', 'createdAt', 'updatedAt', ...also].includes(k)));

    it('stores every column exactly as the Prisma-backed writes do: JSON, dates, decimals, booleans, nulls, unicode', async () => {
      const db = database();
      const key = () => db.apiKeys.create({ name: 'storage', prefix: 'sb-st', hash: randomBytes(32).toString('hex'), role: 'user' });
      const [k, twinKey] = [await key(), await key()];
      const a = await db.agents.create({ name: `storage-${randomBytes(4).toString('hex')}`, model: 'auto' });
      const conversationId = newId();
      const conversation = { ownerKeyId: k.id, agentId: a.id, externalId: `ext ${text}`.slice(0, 60), title: text };
      const runs: (NewRun & { id: string })[] = outputs.map((output, i) => ({
        id: newId(),
        conversationId,
        agentId: a.id,
        apiKeyId: k.id,
        status: i % 2 ? 'failed' : 'succeeded',
        mode: i % 2 ? 'background' : 'sync',
        requestedModel: text.slice(0, 40),
        provider: i === 4 ? null : 'local',
        providerModel: i === 4 ? null : 'qwen2.5',
        attempt: i,
        heartbeatAt: i === 4 ? null : at,
        startedAt: whole,
        finishedAt: i === 4 ? null : at,
        promptTokens: 2_147_483_647,
        completionTokens: i,
        cost: costs[i]!,
        finishReason: i === 4 ? null : 'stop',
        error: i % 2 ? text : null,
        output,
      }));
      const runId = runs[0]!.id;
      const messages: NewMessage[] = [
        { conversationId, role: 'user', content: text },
        { conversationId, role: 'assistant', content: '', toolCalls, runId, promptTokens: 12, completionTokens: 0 },
        { conversationId, role: 'tool', content: '4', toolCallId: 'call_1' },
        // A lone surrogate (a client's JSON may carry `\ud800`): stored as U+FFFD, as a bound parameter's UTF-8 has it.
        { conversationId, role: 'user', content: 'cut \ud83d pair' },
      ];
      const calls: NewProviderCall[] = [
        { runId, provider: 'local', model: 'qwen', latencyMs: 120, ttftMs: 15, promptTokens: 5, completionTokens: 6, outcome: 'ok', cached: true },
        { runId, provider: 'remote', model: text.slice(0, 30), latencyMs: 80.6, ttftMs: null, promptTokens: 0, completionTokens: 0, outcome: 'error', error: text },
      ];
      const record: CompletedRunRecord = { conversation: { id: conversationId, ...conversation }, run: runs[0]!, messages, providerCalls: calls };
      const before = Date.now();
      await db.recordRuns([record, ...runs.slice(1).map((run) => ({ run, messages: [], providerCalls: [] }))]);

      // The same rows through the repositories' Prisma writes (under another key: external ids are unique per key).
      const twin = await db.conversations.create({ ...conversation, ownerKeyId: twinKey.id });
      const twinRuns: RunRow[] = [];
      for (const { id: _id, ...run } of runs) twinRuns.push(await db.runs.create({ ...run, conversationId: twin.id, apiKeyId: twinKey.id }));
      const twinMessages = await db.messages.append(twin.id, messages.map(({ conversationId: _c, ...m }) => ({ ...m, runId: m.runId && twinRuns[0]!.id })));
      const twinCalls: ProviderCallRow[] = [];
      for (const call of calls) twinCalls.push(await db.providerCalls.create({ ...call, runId: twinRuns[0]!.id }));

      const stored = await db.conversations.get(conversationId);
      expect(withoutIdentity(stored!, 'ownerKeyId')).toEqual(withoutIdentity(twin, 'ownerKeyId'));
      expect(stored!.ownerKeyId).toBe(k.id);
      expect(stored!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(stored!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

      const storedRuns = await db.runs.listByConversation(conversationId);
      expect(storedRuns.map((r) => r.id)).toEqual(runs.map((r) => r.id));
      const comparableRun = (r: RunRow) => withoutIdentity(r, 'conversationId', 'apiKeyId');
      expect(storedRuns.map(comparableRun)).toEqual(twinRuns.map(comparableRun));
      expect(storedRuns.map((r) => r.apiKeyId)).toEqual(runs.map(() => k.id));
      expect(storedRuns.map((r) => r.output)).toEqual(outputs);
      // Prisma keeps 16 significant digits of a number: 1234567890.0123458 is stored as 1234567890.012346.
      expect(storedRuns.map((r) => r.cost)).toEqual([0.000123, 1e-7, 1234567890.012346, 0.3, 0]);
      expect(storedRuns[0]).toMatchObject({ heartbeatAt: at, startedAt: whole, finishedAt: at, promptTokens: 2_147_483_647, requestedModel: text.slice(0, 40) });

      const storedMessages = (await db.messages.list(conversationId, { limit: 10 })).items;
      const comparable = (m: MessageRow) => withoutIdentity(m, 'conversationId', 'runId');
      // As read back: append returns the lone surrogate it was given, the database holds U+FFFD.
      const storedTwinMessages = (await db.messages.list(twin.id, { limit: 10 })).items;
      expect(storedTwinMessages.map((m) => m.id)).toEqual(twinMessages.map((m) => m.id));
      expect(storedMessages.map(comparable)).toEqual(storedTwinMessages.map(comparable));
      expect(storedMessages.map((m) => m.runId)).toEqual([null, runId, null, null]);
      expect(storedMessages[3]!.content).toBe('cut \ufffd pair');
      expect(storedMessages[1]!.toolCalls).toEqual(toolCalls);

      const storedCalls = await db.providerCalls.listByRun(runId);
      expect(storedCalls.map((c) => withoutIdentity(c, 'runId'))).toEqual(twinCalls.map((c) => withoutIdentity(c, 'runId')));
      expect(storedCalls.map((c) => [c.cached, c.ttftMs, c.latencyMs])).toEqual([
        [true, 15, 120],
        [false, null, 81],
      ]);
    });

    it('writes a batch too large for one statement per table, every row in place and in order', async () => {
      const db = database();
      const conversationId = newId();
      // 700 runs and 1,400 messages: on MySQL 14,700 and 14,000 parameters, past one statement's share of either
      // table; on PostgreSQL one JSON parameter per table.
      const records: CompletedRunRecord[] = Array.from({ length: 700 }, (_, i) => {
        const runId = newId();
        return {
          conversation: { id: conversationId, title: 'big batch' },
          run: { id: runId, conversationId, requestedModel: 'auto', status: 'succeeded', completionTokens: i },
          messages: [
            { id: newId(), conversationId, role: 'user', content: `q${i}` },
            { id: newId(), conversationId, role: 'assistant', content: `a${i}`, runId },
          ],
          providerCalls: [{ runId, provider: 'local', model: 'qwen', latencyMs: i, promptTokens: 0, completionTokens: i, outcome: 'ok' }],
        };
      });
      await db.recordRuns(records);
      const listed: string[] = [];
      for (let cursor: string | null = null, pages = 0; pages < 10; pages++) {
        const page = await db.messages.list(conversationId, { limit: 500, cursor });
        listed.push(...page.items.map((m) => m.content));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(listed).toEqual(records.flatMap((r) => r.messages.map((m) => m.content)));
      const runs = await db.runs.listByConversation(conversationId);
      expect(new Set(runs.map((r) => r.id))).toEqual(new Set(records.map((r) => r.run.id)));
      for (const i of [0, 475, 476, 699]) {
        expect(await db.runs.get(records[i]!.run.id)).toMatchObject({ completionTokens: i });
        expect((await db.providerCalls.listByRun(records[i]!.run.id)).map((c) => c.latencyMs)).toEqual([i]);
      }
    }, 60_000);

    it('splits a batch larger than a MySQL packet into several statements', async () => {
      const db = database();
      const conversationId = newId();
      const body = (i: number) => `${i}:`.padEnd(1024 * 1024, 'abcdefghijklmnopqrstuvwxyz');
      // 17 MB of message bodies: over the 16 MB max_allowed_packet of the MariaDB here.
      const messages: NewMessage[] = Array.from({ length: 17 }, (_, i) => ({ conversationId, role: 'user', content: body(i) }));
      await db.recordRun({ conversation: { id: conversationId }, run: { id: newId(), conversationId, requestedModel: 'auto' }, messages, providerCalls: [] });
      const stored = (await db.messages.list(conversationId, { limit: 20 })).items;
      expect(stored).toHaveLength(17);
      stored.forEach((m, i) => expect(m.content === body(i)).toBe(true));
    }, 60_000);

    it('refuses a record whose rows point at a missing key or run with NotFoundError, and writes none of it', async () => {
      const db = database();
      const conversationId = newId();
      const runId = newId();
      const missingOwner = db.recordRun({ conversation: { id: conversationId, ownerKeyId: newId() }, run: { id: runId, conversationId, requestedModel: 'auto' }, messages: [], providerCalls: [] });
      await expect(missingOwner).rejects.toBeInstanceOf(NotFoundError);
      const call = { runId: newId(), provider: 'p', model: 'm', latencyMs: 1, promptTokens: 0, completionTokens: 0, outcome: 'ok' as const };
      const missingRun = db.recordRun({ run: { id: runId, requestedModel: 'auto' }, messages: [], providerCalls: [call] });
      await expect(missingRun).rejects.toMatchObject({ model: 'ProviderCall' });
      expect(await db.conversations.get(conversationId)).toBeNull();
      expect(await db.runs.get(runId)).toBeNull();
    });
  });
}
