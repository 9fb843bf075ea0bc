import { randomBytes } from 'node:crypto';
import { createConnection } from 'mariadb';
import pg from 'pg';

/**
 * Fresh databases for the conformance suites: every suite gets its own database with a random name on the
 * shared servers (other suites run at the same time) and drops it at the end. A server that is down FAILS the
 * suite with the command that starts it: a skipped suite would read as a passing one.
 */
/** `pglite-thread`: embedded PGlite in a thread of its own (openDatabase `pgliteThread`), as `switchboard start` runs it. */
export type BackendName = 'pglite' | 'pglite-thread' | 'postgresql' | 'mysql';

export interface TestDatabase {
  backend: BackendName;
  /** What to pass to openDatabase / migrate. */
  url: string;
  /** Drops the database (server backends). */
  drop(): Promise<void>;
}

/** Admin connections: override with SB_TEST_POSTGRES_URL / SB_TEST_MYSQL_URL (a database that already exists). */
const POSTGRES_ADMIN_URL = process.env['SB_TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_ADMIN_URL = process.env['SB_TEST_MYSQL_URL'] ?? 'mariadb://root@127.0.0.1:3306/test';

const HOW_TO_START = {
  postgresql: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  mysql: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
};

function serviceDown(backend: 'postgresql' | 'mysql', url: string, error: unknown): Error {
  const where = new URL(url);
  const name = backend === 'postgresql' ? 'PostgreSQL' : 'MariaDB';
  return new Error(
    `${name} is not reachable at ${where.hostname}:${where.port} (${error instanceof Error ? error.message : String(error)}). ` +
      `These tests need it running; start it with:\n  ${HOW_TO_START[backend]}\n(or point SB_TEST_${backend === 'postgresql' ? 'POSTGRES' : 'MYSQL'}_URL at one).`,
  );
}

export function randomDatabaseName(): string {
  return `sb_test_${randomBytes(6).toString('hex')}`;
}

export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  switch (backend) {
    case 'pglite':
    case 'pglite-thread':
      return { backend, url: 'memory://', drop: async () => undefined };
    case 'postgresql': {
      const name = randomDatabaseName();
      await withPostgresAdmin((client) => client.query(`CREATE DATABASE ${name}`));
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${name}`;
      return {
        backend,
        url: url.toString(),
        drop: async () => {
          await withPostgresAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
      };
    }
    case 'mysql': {
      const name = randomDatabaseName();
      await withMysqlAdmin((conn) => conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`));
      const url = new URL(MYSQL_ADMIN_URL.replace(/^mysql:/, 'mariadb:'));
      url.pathname = `/${name}`;
      return {
        backend,
        url: url.toString().replace(/^mariadb:/, 'mysql:'),
        drop: async () => {
          await withMysqlAdmin((conn) => conn.query(`DROP DATABASE IF EXISTS ${name}`));
        },
      };
    }
  }
}

export async function withPostgresAdmin<T>(work: (client: pg.Client) => Promise<T>, url: string = POSTGRES_ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw serviceDown('postgresql', url, error);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function withMysqlAdmin<T>(
  work: (conn: Awaited<ReturnType<typeof createConnection>>) => Promise<T>,
  url: string = MYSQL_ADMIN_URL,
): Promise<T> {
  const mariadbUrl = url.replace(/^mysql:/, 'mariadb:');
  let conn: Awaited<ReturnType<typeof createConnection>>;
  try {
    conn = await createConnection(`${mariadbUrl}${mariadbUrl.includes('?') ? '&' : '?'}connectTimeout=5000`);
  } catch (error) {
    throw serviceDown('mysql', mariadbUrl, error);
  }
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}
