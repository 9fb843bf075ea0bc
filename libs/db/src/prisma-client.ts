import type { Prisma, PrismaClient } from './generated/postgresql/client.js';
import type { DatabaseKind } from './repositories.js';

/**
 * The repositories are written once, against the PostgreSQL client's types. The MySQL client is generated from
 * the same models (scripts/prisma-generate.mjs), so it has the same delegates and inputs; the repositories use
 * only what both providers support, and the conformance suite proves it on every backend.
 */
export type PrismaDb = PrismaClient;
export type PrismaTx = Prisma.TransactionClient;
export type { Prisma };
export type AdapterFactory = Prisma.PrismaClientOptionsWithAdapter['adapter'];

// PGlite runs one query at a time, so under load a transaction may wait for the connection longer than
// Prisma's default 2 s; a run's final write must not fail for that.
const transactionOptions = { maxWait: 15_000, timeout: 30_000 };

/** Loads only the generated client that the backend needs (each carries its own query compiler). */
export async function createPrismaClient(kind: DatabaseKind, adapter: AdapterFactory): Promise<PrismaDb> {
  if (kind === 'mysql') {
    const { PrismaClient: MysqlClient } = await import('./generated/mysql/client.js');
    return new MysqlClient({ adapter, transactionOptions }) as unknown as PrismaDb;
  }
  const { PrismaClient: PostgresClient } = await import('./generated/postgresql/client.js');
  return new PostgresClient({ adapter, transactionOptions });
}
