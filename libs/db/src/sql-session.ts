import type { PGlite } from '@electric-sql/pglite';
import { type Connection as MariaDbConnection, createConnection as createMariaDbConnection } from 'mariadb';
import pg from 'pg';
import { type DatabaseTarget, unavailable } from './database-url.js';

/**
 * One raw connection for the few things Prisma cannot do: run a migration script of many statements and hold
 * a session-level lock while doing so. Placeholders are `$1` on PostgreSQL/PGlite and `?` on MySQL.
 */
export interface SqlSession {
  readonly dialect: 'postgresql' | 'mysql';
  /** The kind of lock this session can take: none on PGlite (one process owns the files). */
  readonly lock: 'advisory' | 'get_lock' | 'none';
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export async function connectSession(target: DatabaseTarget, pglite?: PGlite): Promise<SqlSession> {
  switch (target.kind) {
    case 'pglite': {
      if (!pglite) throw new Error('connectSession: a PGlite instance is required for an embedded database');
      return pgliteSession(pglite);
    }
    case 'postgresql': {
      const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 });
      // An idle client emits 'error' when the server goes away; without a listener that would crash the process.
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw unavailable(target, error);
      }
      return {
        dialect: 'postgresql',
        lock: 'advisory',
        query: async <T extends object>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
        exec: async (script) => {
          await client.query(script);
        },
        close: () => client.end(),
      };
    }
    case 'mysql': {
      const url = new URL(target.url);
      url.searchParams.set('multipleStatements', 'true');
      if (!url.searchParams.has('connectTimeout')) url.searchParams.set('connectTimeout', '10000');
      let connection: MariaDbConnection;
      try {
        connection = await createMariaDbConnection(url.toString());
      } catch (error) {
        throw unavailable(target, error);
      }
      return {
        dialect: 'mysql',
        lock: 'get_lock',
        query: async <T extends object>(sql: string, params: unknown[] = []) => {
          const rows: unknown = await connection.query({ sql, bigIntAsNumber: true, dateStrings: false }, params);
          return Array.isArray(rows) ? (rows as T[]) : [];
        },
        exec: async (script) => {
          await connection.query(script);
        },
        close: () => connection.end(),
      };
    }
  }
}

function pgliteSession(db: PGlite): SqlSession {
  return {
    dialect: 'postgresql',
    lock: 'none',
    query: async <T extends object>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows,
    exec: async (script) => {
      await db.exec(script);
    },
    // The PGlite instance belongs to the caller.
    close: async () => undefined,
  };
}
