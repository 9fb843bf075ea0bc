import { isDbNull, isJsonNull } from '@prisma/client/runtime/client';
import { Buffer } from 'node:buffer';
import { InvalidDataError } from '../errors.js';
import type { PrismaTx } from '../prisma-client.js';
import { asModelQueryError } from './prisma-errors.js';
import type { Column, Table } from './table-columns.js';

/**
 * Multi-row INSERTs for the tables recordRuns fills in bulk, sent through `$executeRawUnsafe` inside the
 * caller's Prisma transaction. Prisma's createMany costs 0.2-0.35 ms of client CPU per row (its query
 * compiler), which on embedded PGlite also blocks the event loop of the whole process; a hand-written statement
 * costs a few microseconds per row. Values travel as bound parameters, encoded as Prisma's own writes store them,
 * and a failure carries the code and model a createMany failure would have (see asModelQueryError).
 */

/** Placeholders and identifier quoting: `$1` and "double quotes" on PostgreSQL and PGlite, `?` and `backticks` on MySQL. */
export type SqlDialect = 'postgresql' | 'mysql';

/** Parameters per statement. Both protocols stop at 65,535; well below keeps the statements cheap to parse. */
export const MAX_PARAMS_PER_STATEMENT = 10_000;

/**
 * Bytes of values per statement (estimated from above). MySQL refuses a statement larger than
 * max_allowed_packet, which is 4 MB by default on MySQL 5.7 (16 MB on MariaDB, 64 MB on MySQL 8).
 * A single row larger than this still goes alone, as it would through Prisma.
 */
export const MAX_BYTES_PER_STATEMENT = 4 * 1024 * 1024;

/** A row to insert: every column of the table present (null where the column is nullable). */
export type InsertRow<Model> = { readonly [K in keyof Model]-?: unknown };

export interface Statement {
  sql: string;
  params: unknown[];
}

/** Inserts the rows, in order, with as few statements as the limits above allow (one for a usual batch). */
export async function insertRows<Model>(tx: PrismaTx, dialect: SqlDialect, table: Table<Model>, rows: readonly InsertRow<Model>[]): Promise<void> {
  for (const { sql, params } of buildInserts(dialect, table, rows)) {
    try {
      await tx.$executeRawUnsafe(sql, ...params);
    } catch (error) {
      throw asModelQueryError(error, table.model);
    }
  }
}

export function buildInserts<Model>(
  dialect: SqlDialect,
  table: Table<Model>,
  rows: readonly InsertRow<Model>[],
  limits: { params: number; bytes: number } = { params: MAX_PARAMS_PER_STATEMENT, bytes: MAX_BYTES_PER_STATEMENT },
): Statement[] {
  const { columns } = table;
  const maxRows = Math.max(1, Math.floor(limits.params / columns.length));
  const head = `INSERT INTO ${quote(dialect, table.model)} (${columns.map((c) => quote(dialect, c.name)).join(', ')}) VALUES `;
  const statements: Statement[] = [];
  let params: unknown[] = [];
  let tuples: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (tuples.length === 0) return;
    statements.push({ sql: head + tuples.join(', '), params });
    params = [];
    tuples = [];
    bytes = 0;
  };
  for (const row of rows) {
    const values = columns.map((column) => encode(table.model, column, (row as Record<string, unknown>)[column.name]));
    const size = values.reduce<number>((sum, value) => sum + estimatedBytes(value), 0);
    if (tuples.length >= maxRows || (tuples.length > 0 && bytes + size > limits.bytes)) flush();
    tuples.push(tuple(dialect, params.length, values.length));
    params.push(...values);
    bytes += size;
  }
  flush();
  return statements;
}

export function quote(dialect: SqlDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
}

/** `($5, $6, $7)` after 4 parameters on PostgreSQL, `(?, ?, ?)` on MySQL. */
function tuple(dialect: SqlDialect, before: number, count: number): string {
  if (dialect === 'mysql') return `(${'?, '.repeat(count - 1)}?)`;
  let out = '(';
  for (let i = 1; i <= count; i++) out += i === 1 ? `$${before + i}` : `, $${before + i}`;
  return `${out})`;
}

/**
 * A value as Prisma's own write would bind it. Dates stay Dates: Prisma serializes raw parameters as ISO
 * strings tagged as datetimes and every adapter formats those in UTC, as for model queries. Decimals go as
 * text, so no binary float conversion happens in the database; JSON as its text (SQL NULL for DbNull, the JSON
 * `null` for JsonNull). Prisma would refuse a value of the wrong type before sending anything; this does the
 * same rather than leave it to each database's own coercions.
 */
function encode(model: string, column: Column, value: unknown): unknown {
  if (value === undefined) throw new Error(`${model}.${column.name}: no value for the column (the row must carry every column)`);
  if (value === null || isDbNull(value)) return null;
  switch (column.kind) {
    case 'text':
      if (typeof value === 'string') return value;
      break;
    case 'int':
      if (Number.isSafeInteger(value)) return value;
      break;
    case 'bigint':
      if (typeof value === 'bigint') return value;
      if (Number.isSafeInteger(value)) return BigInt(value as number);
      break;
    case 'decimal':
      // Prisma turns a number into a decimal of 16 significant digits (1234567890.0123458 is stored as
      // 1234567890.012346); the same digits here keep both paths' stored values equal.
      if (typeof value === 'number' && Number.isFinite(value)) return value.toPrecision(16);
      if (typeof value === 'string' || isDecimalLike(value)) return String(value);
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'datetime':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      break;
    case 'json': {
      if (isJsonNull(value)) return 'null';
      const json: string | undefined = JSON.stringify(value);
      if (json !== undefined) return json;
      break;
    }
  }
  throw new InvalidDataError(`${model}.${column.name} (${column.kind}) cannot hold ${describe(value)}`);
}

function isDecimalLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toFixed?: unknown }).toFixed === 'function';
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value instanceof Date ? 'an invalid date' : `a value of type ${typeof value}`;
}

/** An upper bound of the value's bytes on the wire; exact only for long strings, where it matters. */
function estimatedBytes(value: unknown): number {
  if (typeof value !== 'string') return 8;
  return value.length <= 4096 ? value.length * 3 : Buffer.byteLength(value, 'utf8');
}
