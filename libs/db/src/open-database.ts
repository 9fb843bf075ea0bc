import { PGlite } from '@electric-sql/pglite';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { type DatabaseTarget, parseDatabaseUrl, unavailable } from './database-url.js';
import { DbError } from './errors.js';
import { applyMigrations, type MigrateOptions } from './migrate.js';
import { lockPgliteDir } from './pglite-lock.js';
import { PGliteThread } from './pglite-thread/threaded-adapter.js';
import { type AdapterFactory, createPrismaClient, type PrismaDb } from './prisma-client.js';
import type { CompletedRunRecord, Database, DatabaseKind } from './repositories.js';
import { PrismaAgentsRepository } from './repositories/agents.repository.js';
import { PrismaBenchmarksRepository } from './repositories/benchmarks.repository.js';
import { PrismaPipelinesRepository } from './repositories/pipelines.repository.js';
import { PrismaApiKeysRepository } from './repositories/api-keys.repository.js';
import type { SqlDialect } from './repositories/bulk-insert.js';
import { PrismaConversationsRepository } from './repositories/conversations.repository.js';
import { PrismaMessagesRepository } from './repositories/messages.repository.js';
import { PrismaProviderCallsRepository } from './repositories/provider-calls.repository.js';
import { recordRuns } from './repositories/record-runs.js';
import { PrismaRunsRepository } from './repositories/runs.repository.js';
import { connectSession } from './sql-session.js';

export interface OpenDatabaseOptions extends Pick<MigrateOptions, 'migrationsDir' | 'lockTimeoutMs'> {
  /** Where embedded PGlite keeps its files (`<dataDir>/pglite`); default `.data`. Ignored for server URLs. */
  dataDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Connections in the pool for PostgreSQL and MySQL (default 10). */
  poolSize?: number;
  /**
   * Embedded PGlite only: run it in a thread of its own (PGliteThread), so its SQL runs on another core and never
   * stalls this thread's event loop. For a process that serves traffic (`switchboard start`); default false.
   */
  pgliteThread?: boolean;
}

/**
 * Opens the database a DATABASE_URL names and returns its repositories:
 * - `postgresql://` or `postgres://`: PostgreSQL through @prisma/adapter-pg;
 * - `mysql://` or `mariadb://`: MySQL/MariaDB through @prisma/adapter-mariadb;
 * - unset or empty: embedded PGlite with its files under `<dataDir>/pglite`; `memory://`: PGlite in memory.
 * Connects (or fails with an error naming host:port and how to start the server) and applies pending
 * migrations before it returns, unless `migrate: false`.
 */
export async function openDatabase(url: string | undefined, options: OpenDatabaseOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(url, options);
  const migrateNow = options.migrate !== false;

  if (target.kind === 'pglite' && options.pgliteThread) {
    return openEmbedded(
      target,
      () => PGliteThread.start({ target, migrate: migrateNow, migrationsDir: options.migrationsDir, lockTimeoutMs: options.lockTimeoutMs }),
      (thread) => thread.close(),
      async (thread, release) => {
        // Run records, the bulk of the writes under load, are written by the thread with a Prisma client of its
        // own: building their statements would otherwise hold this thread's event loop (npm run bench, all-in-one p99).
        const recordInThread = (records: CompletedRunRecord[]) => thread.call<void>({ op: 'recordRuns', records });
        return new PrismaDatabase('pglite', await createPrismaClient('pglite', thread.factory()), target, release, recordInThread);
      },
    );
  }
  if (target.kind === 'pglite') {
    return openEmbedded(
      target,
      () => PGlite.create(target.dataDir ?? 'memory://'),
      (embedded) => embedded.close(),
      async (embedded, release) => {
        if (migrateNow) await applyMigrations(await connectSession(target, embedded), options);
        return new PrismaDatabase('pglite', await createPrismaClient('pglite', new PrismaPGlite(embedded)), target, release);
      },
    );
  }

  // A raw connection first: it applies migrations (or just proves the server answers) with clear errors.
  const session = await connectSession(target);
  try {
    if (migrateNow) await applyMigrations(session, { ...options, target });
    else await session.query('SELECT 1');
  } finally {
    await session.close().catch(() => undefined);
  }

  const poolSize = options.poolSize ?? 10;
  if (target.kind === 'postgresql') {
    const pool = new pg.Pool({ connectionString: target.url, max: poolSize, connectionTimeoutMillis: 10_000 });
    // Idle clients emit 'error' when the server drops them; the pool replaces them, so only keep the process alive.
    pool.on('error', () => undefined);
    const prisma = await connectPrisma('postgresql', new PrismaPg(pool), target).catch(async (error: unknown) => {
      await pool.end().catch(() => undefined);
      throw error;
    });
    return new PrismaDatabase('postgresql', prisma, target, () => pool.end());
  }
  const mariadbUrl = new URL(target.url);
  if (!mariadbUrl.searchParams.has('connectionLimit')) mariadbUrl.searchParams.set('connectionLimit', String(poolSize));
  const prisma = await connectPrisma('mysql', new PrismaMariaDb(mariadbUrl.toString()), target);
  return new PrismaDatabase('mysql', prisma, target, async () => undefined);
}

/**
 * Embedded PGlite, in this thread or a thread of its own: locks its data dir (one process at a time), opens it
 * and builds the Database on it; whatever fails on the way closes what was opened and unlocks the dir.
 */
async function openEmbedded<H>(
  target: DatabaseTarget & { kind: 'pglite' },
  open: () => Promise<H>,
  close: (handle: H) => Promise<void>,
  build: (handle: H, release: () => Promise<void>) => Promise<Database>,
): Promise<Database> {
  let unlock: () => void = () => undefined;
  let handle: H;
  try {
    if (target.dataDir) {
      mkdirSync(target.dataDir, { recursive: true });
      unlock = lockPgliteDir(target.dataDir);
    }
    handle = await open();
  } catch (error) {
    unlock();
    throw error instanceof DbError ? error : unavailable(target, error);
  }
  const release = async () => {
    try {
      await close(handle);
    } finally {
      unlock();
    }
  };
  try {
    return await build(handle, release);
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
}

async function connectPrisma(kind: DatabaseKind, adapter: AdapterFactory, target: DatabaseTarget): Promise<PrismaDb> {
  const prisma = await createPrismaClient(kind, adapter);
  try {
    await prisma.$connect();
  } catch (error) {
    await prisma.$disconnect().catch(() => undefined);
    throw unavailable(target, error);
  }
  return prisma;
}

class PrismaDatabase implements Database {
  readonly apiKeys;
  readonly agents;
  readonly conversations;
  readonly messages;
  readonly runs;
  readonly providerCalls;
  readonly benchmarks;
  readonly pipelines;
  private closing: Promise<void> | undefined;

  constructor(
    readonly kind: DatabaseKind,
    private readonly prisma: PrismaDb,
    private readonly target: DatabaseTarget,
    private readonly release: () => Promise<void>,
    /** Writes run records elsewhere (the PGlite thread writes them itself, off this thread); default: here. */
    private readonly recordElsewhere: ((records: CompletedRunRecord[]) => Promise<void>) | null = null,
  ) {
    this.apiKeys = new PrismaApiKeysRepository(prisma);
    this.agents = new PrismaAgentsRepository(prisma);
    this.conversations = new PrismaConversationsRepository(prisma);
    this.messages = new PrismaMessagesRepository(prisma);
    this.runs = new PrismaRunsRepository(prisma, this.dialect);
    this.providerCalls = new PrismaProviderCallsRepository(prisma);
    this.benchmarks = new PrismaBenchmarksRepository(prisma);
    this.pipelines = new PrismaPipelinesRepository(prisma);
  }

  recordRuns(records: CompletedRunRecord[]): Promise<void> {
    return this.recordElsewhere ? this.recordElsewhere(records) : recordRuns(this.prisma, this.dialect, records);
  }

  recordRun(record: CompletedRunRecord): Promise<void> {
    return this.recordRuns([record]);
  }

  private get dialect(): SqlDialect {
    return this.kind === 'mysql' ? 'mysql' : 'postgresql';
  }

  async ping(): Promise<void> {
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
    } catch (error) {
      throw unavailable(this.target, error);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.prisma.$disconnect().catch(() => undefined);
      await this.release();
    })();
    return this.closing;
  }
}
