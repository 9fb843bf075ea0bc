import { describe, expect, it } from '@jest/globals';
import { DbNull, JsonNull } from '@prisma/client/runtime/client';
import { InvalidDataError } from '../errors.js';
import { buildInserts, type InsertRow, MAX_PARAMS_PER_STATEMENT } from './bulk-insert.js';
import { messageTable, providerCallTable, runTable } from './table-columns.js';
import type { Message, ProviderCall, Run } from '../generated/postgresql/client.js';

const at = new Date('2031-02-03T04:05:06.789Z');

function message(i: number, overrides: Partial<InsertRow<Message>> = {}): InsertRow<Message> {
  return {
    id: `m${i}`,
    conversationId: 'c1',
    role: 'user',
    content: `content ${i}`,
    toolCalls: DbNull,
    toolCallId: null,
    runId: null,
    promptTokens: null,
    completionTokens: null,
    createdAt: at,
    ...overrides,
  };
}

function run(overrides: Partial<InsertRow<Run>> = {}): InsertRow<Run> {
  return {
    id: 'r1',
    conversationId: null,
    agentId: null,
    apiKeyId: null,
    status: 'succeeded',
    mode: 'sync',
    requestedModel: 'auto',
    provider: null,
    providerModel: null,
    attempt: 0,
    heartbeatAt: null,
    startedAt: at,
    finishedAt: null,
    promptTokens: 1,
    completionTokens: 2,
    cost: 0.000123,
    finishReason: null,
    error: null,
    output: DbNull,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

const columns = messageTable.columns.map((c) => c.name);

describe('buildInserts', () => {
  it('sends the rows as one JSON parameter on PostgreSQL, under a statement that is the same for every batch', () => {
    const [statement, ...rest] = buildInserts('postgresql', messageTable, [message(0), message(1)]);
    expect(rest).toEqual([]);
    const names = columns.map((c) => `"${c}"`).join(', ');
    expect(statement!.sql).toBe(
      `INSERT INTO "Message" (${names}) SELECT r."id", r."conversationId", r."role", r."content", r."toolCalls"::jsonb, r."toolCallId", r."runId", ` +
        `r."promptTokens", r."completionTokens", r."createdAt" FROM json_to_recordset($1::json) AS r("id" text, "conversationId" text, "role" text, ` +
        `"content" text, "toolCalls" text, "toolCallId" text, "runId" text, "promptTokens" int4, "completionTokens" int4, "createdAt" timestamp(3))`,
    );
    const row = (i: number) => ({ id: `m${i}`, conversationId: 'c1', role: 'user', content: `content ${i}`, toolCalls: null, toolCallId: null, runId: null, promptTokens: null, completionTokens: null, createdAt: at.toISOString() });
    expect(statement!.params).toHaveLength(1);
    expect(JSON.parse(statement!.params[0] as string)).toEqual([row(0), row(1)]);
    expect(buildInserts('postgresql', messageTable, [message(2)])[0]!.sql).toBe(statement!.sql);
  });

  it('uses ? placeholders and backquoted names on MySQL', () => {
    const [statement] = buildInserts('mysql', messageTable, [message(0), message(1)]);
    const names = columns.map((c) => `\`${c}\``).join(', ');
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    expect(statement!.sql).toBe(`INSERT INTO \`Message\` (${names}) VALUES ${tuple}, ${tuple}`);
    expect(statement!.params).toHaveLength(2 * columns.length);
  });

  it('writes nothing for no rows', () => {
    expect(buildInserts('postgresql', messageTable, [])).toEqual([]);
  });

  it('splits rows over MySQL statements that stay under the parameter limit, in row order', () => {
    const rows = Array.from({ length: 7 }, (_, i) => message(i));
    const statements = buildInserts('mysql', messageTable, rows, { params: 3 * columns.length + 1, bytes: 1e9 });
    expect(statements.map((s) => s.params.length / columns.length)).toEqual([3, 3, 1]);
    expect(statements.flatMap((s) => s.params.filter((p, i) => i % columns.length === 0))).toEqual(rows.map((r) => r.id));
  });

  it('splits PostgreSQL statements on bytes only, in row order', () => {
    const rows = Array.from({ length: 7 }, (_, i) => message(i, { content: 'x'.repeat(1_000) }));
    expect(buildInserts('postgresql', messageTable, rows, { params: 1, bytes: 1e9 })).toHaveLength(1);
    const statements = buildInserts('postgresql', messageTable, rows, { params: 1e6, bytes: 8_000 });
    const ids = statements.map((s) => (JSON.parse(s.params[0] as string) as { id: string }[]).map((r) => r.id));
    expect(ids).toEqual([['m0', 'm1'], ['m2', 'm3'], ['m4', 'm5'], ['m6']]);
  });

  it('keeps the default chunk under a quarter of the 65,535 parameters both protocols allow', () => {
    expect(MAX_PARAMS_PER_STATEMENT).toBeLessThanOrEqual(65_535 / 4);
    const rows = Array.from({ length: 2_500 }, (_, i) => message(i));
    const statements = buildInserts('mysql', messageTable, rows);
    expect(statements.length).toBeGreaterThan(1);
    expect(Math.max(...statements.map((s) => s.params.length))).toBeLessThanOrEqual(MAX_PARAMS_PER_STATEMENT);
    expect(statements.reduce((n, s) => n + s.params.length, 0)).toBe(rows.length * columns.length);
  });

  it('splits on bytes too, and sends a row larger than the budget alone', () => {
    const big = 'x'.repeat(10_000);
    const rows = [message(0, { content: big }), message(1, { content: big }), message(2, { content: 'x'.repeat(50_000) }), message(3)];
    const statements = buildInserts('mysql', messageTable, rows, { params: 1e6, bytes: 25_000 });
    expect(statements.map((s) => s.params.filter((p, i) => i % columns.length === 0))).toEqual([['m0', 'm1'], ['m2'], ['m3']]);
  });

  it('counts long text by its UTF-8 bytes', () => {
    const wide = '🙂'.repeat(3_000); // 6,000 UTF-16 units, 12,000 bytes of UTF-8
    const statements = buildInserts('postgresql', messageTable, [message(0, { content: wide }), message(1, { content: wide })], { params: 1e6, bytes: 20_000 });
    expect(statements).toHaveLength(2);
  });

  it('encodes values as Prisma stores them: JSON as text, decimals as text, dates and booleans as they are', () => {
    const toolCalls = [{ id: 'call_1', type: 'function', function: { name: 'calc', arguments: '{"x":1}' } }];
    const [m] = buildInserts('mysql', messageTable, [message(0, { toolCalls, promptTokens: 3 })]);
    expect(m!.params[columns.indexOf('toolCalls')]).toBe(JSON.stringify(toolCalls));
    expect(m!.params[columns.indexOf('promptTokens')]).toBe(3);
    // On PostgreSQL the same values as JSON: dates as ISO strings, a JSON column's value as its text.
    const [pg] = JSON.parse(buildInserts('postgresql', messageTable, [message(0, { toolCalls, promptTokens: 3, content: 'a \udc00 b' })])[0]!.params[0] as string) as Record<string, unknown>[];
    expect(pg).toMatchObject({ toolCalls: JSON.stringify(toolCalls), promptTokens: 3, createdAt: at.toISOString(), content: 'a \ufffd b' });
    const pgRun = (overrides: Partial<InsertRow<Run>>) => (JSON.parse(buildInserts('postgresql', runTable, [run(overrides)])[0]!.params[0] as string) as Record<string, unknown>[])[0]!;
    expect(pgRun({ output: JsonNull })).toMatchObject({ output: 'null', cost: '0.0001230000000000000', finishedAt: null });
    expect(pgRun({})).toMatchObject({ output: null });

    const runColumns = runTable.columns.map((c) => c.name);
    const param = (overrides: Partial<InsertRow<Run>>, column: string) => buildInserts('mysql', runTable, [run(overrides)])[0]!.params[runColumns.indexOf(column)];
    // Prisma's 16 significant digits for a number in a Decimal column.
    expect(param({}, 'cost')).toBe('0.0001230000000000000');
    expect(param({ cost: 1e-7 }, 'cost')).toBe('1.000000000000000e-7');
    expect(param({ cost: 1234567890.0123458 }, 'cost')).toBe('1234567890.012346');
    expect(param({ cost: '0.1' }, 'cost')).toBe('0.1');
    expect(param({}, 'output')).toBeNull();
    expect(param({ output: JsonNull }, 'output')).toBe('null');
    expect(param({ output: 'just text' }, 'output')).toBe('"just text"');
    expect(param({ output: { a: [1, 'ü🙂', null] } }, 'output')).toBe('{"a":[1,"ü🙂",null]}');
    expect(param({}, 'startedAt')).toBe(at);

    const callColumns = providerCallTable.columns.map((c) => c.name);
    const call: InsertRow<ProviderCall> = {
      id: 'p1',
      runId: 'r1',
      provider: 'local',
      model: 'qwen',
      latencyMs: 5,
      ttftMs: null,
      promptTokens: 0,
      completionTokens: 0,
      outcome: 'ok',
      error: null,
      cached: true,
      createdAt: at,
    };
    expect(buildInserts('mysql', providerCallTable, [call])[0]!.params[callColumns.indexOf('cached')]).toBe(true);
  });

  it('refuses values their column cannot hold before anything is sent', () => {
    expect(() => buildInserts('postgresql', messageTable, [message(0, { promptTokens: 1.5 })])).toThrow(InvalidDataError);
    expect(() => buildInserts('postgresql', messageTable, [message(0, { content: 42 })])).toThrow(/Message\.content \(text\) cannot hold/);
    expect(() => buildInserts('postgresql', runTable, [run({ cost: Number.NaN })])).toThrow(InvalidDataError);
    expect(() => buildInserts('postgresql', runTable, [run({ startedAt: new Date('nope') })])).toThrow(/invalid date/);
    expect(() => buildInserts('postgresql', runTable, [run({ attempt: '1' })])).toThrow(InvalidDataError);
  });

  it('refuses a row that lacks a column instead of leaving it out', () => {
    const { runId: _omitted, ...partial } = message(0);
    expect(() => buildInserts('postgresql', messageTable, [partial as InsertRow<Message>])).toThrow(/Message\.runId: no value/);
  });
});
