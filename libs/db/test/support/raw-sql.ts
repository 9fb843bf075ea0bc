import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, migrate, type MigrateOptions, type MigrationResult } from '../../src/migrate.js';
import { connectSession } from '../../src/sql-session.js';
import { type BackendName, createTestDatabase, withMysqlAdmin, withPostgresAdmin } from './backends.js';

export type Row = Record<string, unknown>;
export type RawQuery = (sql: string, params?: unknown[]) => Promise<Row[]>;

/**
 * A database for migration tests, migrated through the runner and inspected with raw SQL. PGlite is one
 * in-memory instance for the whole suite (each instance costs seconds to boot); the servers' get a fresh
 * database each, migrated through the public migrate(url).
 */
export interface RawTestDatabase {
  backend: BackendName;
  /** The server database's URL; undefined for the in-memory PGlite. */
  url: string | undefined;
  /** Runs the migration runner against this database. */
  migrate(options?: MigrateOptions): Promise<MigrationResult>;
  /** Runs `work` with a raw connection ($1 placeholders on PostgreSQL/PGlite, ? on MySQL). */
  sql<T>(work: (query: RawQuery) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function createRawTestDatabase(backend: BackendName): Promise<RawTestDatabase> {
  if (backend === 'pglite') {
    const db = await PGlite.create('memory://');
    return {
      backend,
      url: undefined,
      migrate: async (options = {}) => applyMigrations(await connectSession({ kind: 'pglite', dataDir: undefined }, db), options),
      sql: (work) => work(async (sql, params) => (await db.query<Row>(sql, params)).rows),
      drop: () => db.close(),
    };
  }
  const testDb = await createTestDatabase(backend);
  return {
    backend,
    url: testDb.url,
    migrate: (options = {}) => migrate(testDb.url, options),
    sql: (work) =>
      backend === 'postgresql'
        ? withPostgresAdmin((client) => work(async (sql, params) => (await client.query(sql, params)).rows as Row[]), testDb.url)
        : withMysqlAdmin(
            (conn) =>
              work(async (sql, params) => {
                const rows: unknown = await conn.query({ sql, bigIntAsNumber: true }, params);
                return Array.isArray(rows) ? (rows as Row[]) : [];
              }),
            testDb.url,
          ),
    drop: () => testDb.drop(),
  };
}
