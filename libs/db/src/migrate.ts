import { PGlite } from '@electric-sql/pglite';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseTarget, describeTarget, parseDatabaseUrl } from './database-url.js';
import { MigrationChecksumError, MigrationError } from './errors.js';
import { lockPgliteDir } from './pglite-lock.js';
import { connectSession, type SqlSession } from './sql-session.js';

/**
 * Applies prisma/migrations/<provider>/<name>/migration.sql in name order and records each in a
 * `_prisma_migrations` table shaped like Prisma Migrate's (same columns, sha256 checksums, same lock ids), so
 * `prisma migrate status` on a machine with the engine reads the same history. Prisma's own `migrate deploy`
 * cannot run here (no schema engine, and it cannot reach PGlite), hence this runner.
 *
 * Safe to call from several processes at once: a session lock (pg advisory lock / MySQL GET_LOCK) lets one
 * apply while the others wait and then find nothing to do. Refuses to start when an applied migration's file
 * was edited, or when an earlier migration failed half-way (MySQL DDL cannot be rolled back).
 */
export interface MigrateOptions {
  /** Where embedded PGlite keeps its files (`<dataDir>/pglite`); default `.data`. */
  dataDir?: string;
  /** Override of the folder holding `postgresql/` and `mysql/`; default: prisma/migrations found above this module. */
  migrationsDir?: string;
  /** How long to wait for another process's migration lock; default 5 minutes. */
  lockTimeoutMs?: number;
}

export interface MigrationResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations found already applied. */
  alreadyApplied: string[];
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** Same key as Prisma Migrate's advisory lock, so this runner and `prisma migrate deploy` exclude each other. */
const PG_LOCK_KEY = 72707369;
const MYSQL_LOCK_NAME = 'prisma_migrate';

const CREATE_TABLE = {
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  mysql: `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
};

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  logs: string | null;
}

/** Opens the database behind `url` (see openDatabase for the forms), applies pending migrations, closes it. */
export async function migrate(url: string | undefined, options: MigrateOptions = {}): Promise<MigrationResult> {
  const target = parseDatabaseUrl(url, options);
  if (target.kind === 'pglite') {
    if (!target.dataDir) throw new MigrationError('migrate(memory://) would migrate a database that vanishes at once: use openDatabase');
    mkdirSync(target.dataDir, { recursive: true });
    const unlock = lockPgliteDir(target.dataDir);
    try {
      const db = await PGlite.create(target.dataDir);
      try {
        return await applyMigrations(await connectSession(target, db), options);
      } finally {
        await db.close();
      }
    } finally {
      unlock();
    }
  }
  const session = await connectSession(target);
  try {
    return await applyMigrations(session, { ...options, target });
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** The runner itself, on an open session (openDatabase uses the connection it already has). */
export async function applyMigrations(
  session: SqlSession,
  options: MigrateOptions & { target?: DatabaseTarget } = {},
): Promise<MigrationResult> {
  const files = readMigrations(path.join(options.migrationsDir ?? findMigrationsRoot(), session.dialect));
  await acquireLock(session, options.lockTimeoutMs ?? 300_000, options.target);
  try {
    await session.exec(CREATE_TABLE[session.dialect]);
    const rows = await session.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY started_at',
    );
    const live = rows.filter((r) => r.rolled_back_at === null);
    for (const row of live) {
      if (row.finished_at === null) {
        const why = row.logs ? `: ${row.logs.split('\n')[0]}` : '';
        throw new MigrationError(
          `Migration ${row.migration_name} started earlier but never finished${why}. Repair the database by hand, then ` +
            `mark it rolled back (UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE migration_name = ` +
            `'${row.migration_name}' AND finished_at IS NULL; what \`prisma migrate resolve --rolled-back\` does) so it is applied again.`,
        );
      }
      const file = files.find((f) => f.name === row.migration_name);
      // A migration in the database but not on disk was applied by a newer release: nothing to check here.
      if (file && file.checksum !== row.checksum) throw new MigrationChecksumError(row.migration_name, row.checksum, file.checksum);
    }
    const done = new Set(live.map((r) => r.migration_name));
    const result: MigrationResult = { applied: [], alreadyApplied: files.filter((f) => done.has(f.name)).map((f) => f.name) };
    for (const file of files) {
      if (done.has(file.name)) continue;
      await applyOne(session, file);
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await releaseLock(session).catch(() => undefined);
  }
}

async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  if (session.dialect === 'postgresql') {
    // PostgreSQL DDL is transactional: a failing migration leaves no trace and can simply be fixed and rerun.
    await session.exec('BEGIN');
    try {
      await session.exec(file.sql);
      await session.query(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 1)',
        [id, file.checksum, file.name],
      );
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${messageOf(error)}`);
    }
    return;
  }
  // MySQL commits each DDL statement on its own: record the attempt first, so a failure half-way is visible.
  await session.query(
    'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, CURRENT_TIMESTAMP(3), 0)',
    [id, file.checksum, file.name],
  );
  try {
    await session.exec(file.sql);
  } catch (error) {
    await session.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [messageOf(error), id]).catch(() => undefined);
    throw new MigrationError(
      `Migration ${file.name} failed part-way (MySQL cannot roll back DDL): ${messageOf(error)}. Repair the database by hand, ` +
        `then mark the migration rolled back in _prisma_migrations so it is applied again.`,
    );
  }
  await session.query('UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?', [id]);
}

async function acquireLock(session: SqlSession, timeoutMs: number, target?: DatabaseTarget): Promise<void> {
  if (session.lock === 'none') return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Try-and-poll rather than a blocking wait, so a stuck peer ends in a clear error instead of a hang.
    const [row] =
      session.lock === 'advisory'
        ? await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [PG_LOCK_KEY])
        : await session.query<{ ok: number | bigint | null }>('SELECT GET_LOCK(?, 1) AS ok', [MYSQL_LOCK_NAME]);
    if (row && (row.ok === true || Number(row.ok) === 1)) return;
    if (Date.now() > deadline) {
      throw new MigrationError(
        `Timed out after ${timeoutMs} ms waiting for the migration lock${target ? ` on ${describeTarget(target)}` : ''}: ` +
          `another process is migrating this database (or died holding the lock on a still-open connection).`,
      );
    }
    if (session.lock === 'advisory') await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function releaseLock(session: SqlSession): Promise<void> {
  if (session.lock === 'advisory') await session.query('SELECT pg_advisory_unlock($1)', [PG_LOCK_KEY]);
  else if (session.lock === 'get_lock') await session.query('SELECT RELEASE_LOCK(?)', [MYSQL_LOCK_NAME]);
}

export function readMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) throw new MigrationError(`Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

/**
 * The repository's prisma/migrations, found by walking up from this module: it works from libs/db/src (tests),
 * libs/db/dist (built) and node_modules/@switchboard/db (a symlink into libs/db, resolved by Node).
 */
export function findMigrationsRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(path.join(candidate, 'postgresql'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new MigrationError(
    `Cannot find prisma/migrations in any folder above ${from}. Ship the prisma/ folder with the application ` +
      `(next to package.json) or pass migrationsDir.`,
  );
}

/** The server's own words: the MariaDB driver's `message` also repeats the whole script. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { sqlMessage, code } = error as Error & { sqlMessage?: unknown; code?: unknown };
  if (typeof sqlMessage === 'string' && sqlMessage !== '') return typeof code === 'string' ? `${code}: ${sqlMessage}` : sqlMessage;
  return error.message;
}
