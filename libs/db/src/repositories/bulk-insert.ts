import { isDbNull, isJsonNull } from '@prisma/client/runtime/client';
import { Buffer } from 'node:buffer';
import { InvalidDataError } from '../errors.js';
import type { PrismaTx } from '../prisma-client.js';
import { asModelQueryError } from './prisma-errors.js';
import type { Column, ColumnKind, Table } from './table-columns.js';

/**
 * Bulk INSERTs for the tables recordRuns fills, sent through `$executeRawUnsafe` inside the caller's Prisma
 * transaction. Prisma's createMany costs 0.2-0.35 ms of client CPU per row (its query compiler), which on
 * embedded PGlite also blocks the event loop of the whole process; a hand-written statement costs a few
 * microseconds per row. Values are encoded as Prisma's own writes store them, and a failure carries the code and
 * model a createMany failure would have (see asModelQueryError).
 *
 * - **PostgreSQL and PGlite:** the rows travel as ONE parameter, a JSON array that `json_to_recordset` turns
 *   back into typed rows. The statement's text is the same for every batch, and the database parses one
 *   parameter instead of a VALUES list of ~20 per row: a run's record costs about a quarter less CPU on
 *   PGlite than with VALUES, and on PostgreSQL a third less in the client and a quarter less in the server
 *   (scripts/bench/record-runs.mjs; docs/BENCHMARKS.md has the figures).
 * - **MySQL and MariaDB:** one multi-row `INSERT ... VALUES (?, ...), (...)` with bound parameters.
 */

/** The statement form (see above) and identifier quoting: "double quotes" on PostgreSQL and PGlite, `backticks` on MySQL. */
export type SqlDialect = 'postgresql' | 'mysql';

/** Parameters per MySQL statement. Both protocols stop at 65,535; well below keeps the statements cheap to parse. */
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
  return dialect === 'postgresql' ? recordsetInserts(table, rows, limits.bytes) : valuesInserts(table, rows, limits);
}

/** The type each kind of column is read as from the JSON; JSON columns as their text, cast to jsonb. */
const RECORDSET_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  int: 'int4',
  bigint: 'int8',
  decimal: 'numeric',
  boolean: 'bool',
  datetime: 'timestamp(3)',
  json: 'text',
};

/**
 * `INSERT INTO "T" (...) SELECT ... FROM json_to_recordset($1::json) AS r(...)` with the rows as one JSON array
 * of objects. Each value is what `encode` gives, as JSON can carry it: a date as its ISO string (read as a
 * timestamp without time zone, the UTC time Prisma stores), a bigint or decimal as a string the column's type
 * reads exactly, a JSON column's value as its text (so JsonNull stays the JSON `null` and DbNull SQL NULL).
 */
function recordsetInserts<Model>(table: Table<Model>, rows: readonly InsertRow<Model>[], maxBytes: number): Statement[] {
  const { columns } = table;
  const names = columns.map((c) => quote('postgresql', c.name));
  const read = columns.map((c, i) => (c.kind === 'json' ? `r.${names[i]}::jsonb` : `r.${names[i]}`));
  const declared = columns.map((c, i) => `${names[i]} ${RECORDSET_TYPES[c.kind]}`);
  const sql = `INSERT INTO ${quote('postgresql', table.model)} (${names.join(', ')}) SELECT ${read.join(', ')} FROM json_to_recordset($1::json) AS r(${declared.join(', ')})`;
  const statements: Statement[] = [];
  let objects: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (objects.length === 0) return;
    statements.push({ sql, params: [`[${objects.join(',')}]`] });
    objects = [];
    bytes = 0;
  };
  for (const row of rows) {
    const object: Record<string, unknown> = {};
    for (const column of columns) object[column.name] = asJson(encode(table.model, column, (row as Record<string, unknown>)[column.name]));
    const json = JSON.stringify(object);
    const size = estimatedBytes(json);
    if (objects.length > 0 && bytes + size > maxBytes) flush();
    objects.push(json);
    bytes += size;
  }
  flush();
  return statements;
}

/**
 * An encoded value as JSON carries it. A string is made well-formed first: JSON.stringify would escape a lone
 * surrogate (`\ud800`), which PostgreSQL's JSON parser refuses, failing the whole batch; as a bound parameter
 * the driver's UTF-8 encoding turned it into U+FFFD, and so does this.
 */
function asJson(value: unknown): unknown {
  if (typeof value === 'string') return (value as WellFormable).toWellFormed();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return String(value);
  return value;
}

/** String.prototype.toWellFormed (Node 20+), which TypeScript's ES2023 library does not declare yet. */
type WellFormable = string & { toWellFormed(): string };

/** `INSERT ... VALUES (?, ...), (...)`, split by the parameter and byte limits. */
function valuesInserts<Model>(table: Table<Model>, rows: readonly InsertRow<Model>[], limits: { params: number; bytes: number }): Statement[] {
  const { columns } = table;
  const maxRows = Math.max(1, Math.floor(limits.params / columns.length));
  const head = `INSERT INTO ${quote('mysql', table.model)} (${columns.map((c) => quote('mysql', c.name)).join(', ')}) VALUES `;
  const tuple = `(${'?, '.repeat(columns.length - 1)}?)`;
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
    tuples.push(tuple);
    params.push(...values);
    bytes += size;
  }
  flush();
  return statements;
}

export function quote(dialect: SqlDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
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
