import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, Transaction } from '@prisma/driver-adapter-utils';
import { parentPort, workerData } from 'node:worker_threads';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { ConflictError, InvalidDataError, NotFoundError } from '../errors.js';
import { applyMigrations } from '../migrate.js';
import { createPrismaClient, type PrismaDb } from '../prisma-client.js';
import type { CompletedRunRecord } from '../repositories.js';
import { recordRuns } from '../repositories/record-runs.js';
import { connectSession } from '../sql-session.js';
import type { Call, HostData, HostEvent, Reply } from './protocol.js';

/**
 * The thread that owns embedded PGlite: it opens the database, applies migrations, and runs the Prisma driver
 * adapter's calls that the main thread sends it (threaded-adapter.ts). PGlite executes SQL synchronously in
 * WebAssembly; here, that work stalls no stream of the main thread and has a core of its own.
 */
const port = parentPort!;
const data = workerData as HostData;

async function main(): Promise<void> {
  let db: PGlite;
  let adapter: SqlDriverAdapter;
  try {
    db = await PGlite.create(data.target.dataDir ?? 'memory://');
    if (data.migrate) await applyMigrations(await connectSession(data.target, db), { migrationsDir: data.migrationsDir, lockTimeoutMs: data.lockTimeoutMs });
    adapter = await new PrismaPGlite(db).connect();
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: string };
    port.postMessage({ type: 'failed', name: e.name ?? 'Error', message: e.message ?? String(error), code: e.code } satisfies HostEvent);
    return;
  }
  // A Prisma client of the thread's own for run records (the main thread's goes through the messages below).
  // Both use this one PGlite, whose transactions are exclusive, so they never interleave.
  let recorder: Promise<PrismaDb> | null = null;
  const transactions = new Map<number, Transaction>();
  let nextTx = 1;
  const queryable = (tx: number) => (tx === 0 ? adapter : transactions.get(tx));

  const handle = async (call: Call): Promise<unknown> => {
    switch (call.op) {
      case 'queryRaw':
      case 'executeRaw': {
        const target = queryable(call.tx);
        if (!target) throw new Error(`transaction ${call.tx} is not open`);
        return call.op === 'queryRaw' ? target.queryRaw(call.query as never) : target.executeRaw(call.query as never);
      }
      case 'executeScript':
        return adapter.executeScript(call.script);
      case 'startTransaction': {
        const tx = await adapter.startTransaction(call.isolationLevel as never);
        const id = nextTx++;
        transactions.set(id, tx);
        return { id, options: tx.options };
      }
      case 'commit':
      case 'rollback': {
        const tx = transactions.get(call.tx);
        if (!tx) throw new Error(`transaction ${call.tx} is not open`);
        transactions.delete(call.tx);
        return call.op === 'commit' ? tx.commit() : tx.rollback();
      }
      case 'recordRuns':
        recorder ??= createPrismaClient('pglite', new PrismaPGlite(db));
        return recordRuns(await recorder, 'postgresql', call.records as CompletedRunRecord[]);
      case 'close':
        if (recorder) await (await recorder).$disconnect().catch(() => undefined);
        await adapter.dispose();
        await db.close();
        return null;
    }
  };

  port.on('message', (call: Call) => {
    handle(call).then(
      (value) => port.postMessage({ id: call.id, ok: true, value } satisfies Reply),
      (error: unknown) => {
        const reply: Reply = { id: call.id, ok: false, ...describeError(error) };
        port.postMessage(reply);
      },
    );
  });
  port.postMessage({ type: 'ready', connectionInfo: adapter.getConnectionInfo?.() ?? null, provider: adapter.provider, adapterName: adapter.adapterName } satisfies HostEvent);
}

/** An error as it crosses to the main thread, keeping what callers branch on (see threaded-adapter.ts). */
function describeError(error: unknown): Omit<Extract<Reply, { ok: false }>, 'id' | 'ok'> {
  const e = error as { name?: string; message?: string; cause?: unknown };
  if (e?.name === 'DriverAdapterError') return { adapterError: e.cause };
  if (error instanceof ConflictError) return { dbError: { name: 'ConflictError', message: error.message, target: error.target } };
  if (error instanceof NotFoundError) return { dbError: { name: 'NotFoundError', message: error.message, model: error.model } };
  if (error instanceof InvalidDataError) return { dbError: { name: 'InvalidDataError', message: error.message } };
  return { name: e?.name, message: e?.message ?? String(error) };
}

void main();
