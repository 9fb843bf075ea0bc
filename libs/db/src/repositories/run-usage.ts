import type { UsageDimensionName as UsageDimension } from '@switchboard/contracts';
import type { PrismaDb } from '../prisma-client.js';
import type { UsageQuery, UsageRow } from '../repositories.js';
import { quote, type SqlDialect } from './bulk-insert.js';

/**
 * Usage summed by the database in one statement: Prisma's groupBy cannot group by an expression (the day, the
 * model that answered), so this is raw SQL in the two dialects. The day is the text `YYYY-MM-DD` of the stored
 * timestamp: Prisma stores DateTime in UTC on every backend (a timestamp without zone, a DATETIME), so the
 * text of its date part is the UTC day on PGlite, PostgreSQL and MySQL/MariaDB alike, with no session time
 * zone involved and no date type for the drivers to shift on the way back.
 */
export async function sumUsage(db: PrismaDb, dialect: SqlDialect, ownerKeyId: string | null | undefined, query: UsageQuery): Promise<UsageRow[]> {
  const { sql, params } = usageStatement(dialect, ownerKeyId, query);
  const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);
  // Sorted here rather than by ORDER BY: the backends' collations order text differently, and the groups are few.
  return rows
    .map(toUsageRow)
    .filter((r) => r.runs > 0)
    .sort((a, b) => compare(a.day, b.day) || compare(a.apiKeyId, b.apiKeyId) || compare(a.model, b.model));
}

/** Nulls first, then code-point order. */
function compare(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export function usageStatement(dialect: SqlDialect, ownerKeyId: string | null | undefined, query: UsageQuery): { sql: string; params: unknown[] } {
  const q = (name: string) => quote(dialect, name);
  const run = (column: string) => `r.${q(column)}`;
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return dialect === 'mysql' ? '?' : `$${params.length}`;
  };
  const grouped = new Set<UsageDimension>(query.groupBy);
  const dimensions = {
    day: dialect === 'mysql' ? `DATE_FORMAT(${run('createdAt')}, '%Y-%m-%d')` : `to_char(${run('createdAt')}, 'YYYY-MM-DD')`,
    key: run('apiKeyId'),
    model: `CASE WHEN ${run('provider')} IS NULL THEN ${run('requestedModel')} ELSE CONCAT(${run('provider')}, '/', COALESCE(${run('providerModel')}, '')) END`,
  } satisfies Record<UsageDimension, string>;
  const order: UsageDimension[] = ['day', 'key', 'model'];
  const by = order.filter((d) => grouped.has(d));
  const dimension = (d: UsageDimension, alias: string) => `${grouped.has(d) ? dimensions[d] : 'NULL'} AS ${q(alias)}`;
  // The key's name and prefix follow from its id; MAX() says so to MySQL's ONLY_FULL_GROUP_BY.
  const keyColumn = (column: string) => (grouped.has('key') ? `MAX(k.${q(column)})` : 'NULL');
  const cached = `CASE WHEN EXISTS (SELECT 1 FROM ${q('ProviderCall')} c WHERE c.${q('runId')} = ${run('id')} AND c.${q('cached')} = TRUE) THEN 1 ELSE 0 END`;

  const where = [`${run('createdAt')} >= ${param(query.from)}`, `${run('createdAt')} < ${param(query.to)}`];
  if (ownerKeyId === null) where.push(`${run('apiKeyId')} IS NULL`);
  else if (ownerKeyId !== undefined) where.push(`${run('apiKeyId')} = ${param(ownerKeyId)}`);

  const sql = [
    'SELECT',
    [
      dimension('day', 'day'),
      dimension('key', 'apiKeyId'),
      `${keyColumn('name')} AS ${q('keyName')}`,
      `${keyColumn('prefix')} AS ${q('keyPrefix')}`,
      dimension('model', 'model'),
      `COUNT(*) AS ${q('runs')}`,
      `SUM(${cached}) AS ${q('cachedRuns')}`,
      `SUM(${run('promptTokens')}) AS ${q('promptTokens')}`,
      `SUM(${run('completionTokens')}) AS ${q('completionTokens')}`,
      `SUM(${run('cost')}) AS ${q('cost')}`,
    ].join(', '),
    `FROM ${q('Run')} r LEFT JOIN ${q('ApiKey')} k ON k.${q('id')} = ${run('apiKeyId')}`,
    `WHERE ${where.join(' AND ')}`,
    by.length ? `GROUP BY ${by.map((d) => dimensions[d]).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { sql, params };
}

/** Sums arrive as bigint, Decimal or string depending on the driver; all are exact enough as numbers here. */
function toUsageRow(row: Record<string, unknown>): UsageRow {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(String(v)));
  return {
    apiKeyId: text(row.apiKeyId),
    keyName: text(row.keyName),
    keyPrefix: text(row.keyPrefix),
    model: text(row.model),
    day: text(row.day),
    runs: num(row.runs),
    cachedRuns: num(row.cachedRuns),
    promptTokens: num(row.promptTokens),
    completionTokens: num(row.completionTokens),
    cost: num(row.cost),
  };
}
