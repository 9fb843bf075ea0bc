import {
  type ConnectionInfo,
  DriverAdapterError,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
  type TransactionOptions,
} from '@prisma/driver-adapter-utils';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConflictError, InvalidDataError, NotFoundError } from '../errors.js';
import type { Call, DbErrorData, HostData, HostEvent, Reply } from './protocol.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
/** A call without its id (the thread wrapper numbers them); distributes over the union of calls. */
type WithoutId<C> = C extends unknown ? Omit<C, 'id'> : never;
type CallBody = WithoutId<Call>;

/**
 * The host script. Built, it sits next to this file; under the test runner, which loads the TypeScript
 * sources, the built copy in dist/ is used (tests run after `npm run build`).
 */
function hostScript(): URL {
  const sibling = new URL('./host.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/pglite-thread/host.js', import.meta.url);
}

/**
 * Embedded PGlite in a thread of its own, behind a Prisma driver adapter whose calls are messages to it.
 * Prisma (query building, result mapping) stays on the main thread; PGlite's SQL execution, the bulk of a
 * write's CPU and a synchronous stall of the whole event loop when it runs there, moves to the thread.
 */
export class PGliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | null = null;

  private constructor(
    worker: Worker,
    readonly info: { connectionInfo: ConnectionInfo | undefined; provider: 'postgres'; adapterName: string },
  ) {
    this.worker = worker;
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else if (reply.adapterError !== undefined) p.reject(new DriverAdapterError(reply.adapterError as ConstructorParameters<typeof DriverAdapterError>[0]));
      else if (reply.dbError) p.reject(toDbError(reply.dbError));
      else p.reject(Object.assign(new Error(reply.message), { name: reply.name ?? 'Error' }));
    });
    const fail = (error: Error): void => {
      this.exited = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PGlite thread exited (code ${code})`)));
  }

  /** Starts the thread; resolves once the database is open (and migrated, if asked). */
  static async start(data: HostData): Promise<PGliteThread> {
    const worker = new Worker(hostScript(), { workerData: data });
    const event = await new Promise<HostEvent>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the PGlite thread exited (code ${code}) before the database opened`)));
    });
    if (event.type === 'failed') {
      await worker.terminate();
      throw Object.assign(new Error(event.message), { name: event.name, code: event.code });
    }
    return new PGliteThread(worker, { connectionInfo: (event.connectionInfo ?? undefined) as ConnectionInfo | undefined, provider: 'postgres', adapterName: event.adapterName });
  }

  call<T>(body: CallBody): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  /** Closes the database and ends the thread. */
  async close(): Promise<void> {
    if (!this.exited) await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  /** The Prisma driver adapter factory for this database. */
  factory(): SqlDriverAdapterFactory {
    const info = this.info;
    return {
      provider: info.provider,
      adapterName: info.adapterName,
      connect: async () => new ThreadedAdapter(this),
    };
  }
}

/** Queries as messages: the transaction id is 0 for the connection itself. */
class ThreadedQueryable {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;

  constructor(
    protected readonly thread: PGliteThread,
    protected readonly tx: number,
  ) {
    this.adapterName = thread.info.adapterName;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.thread.call({ op: 'queryRaw', tx: this.tx, query });
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.thread.call({ op: 'executeRaw', tx: this.tx, query });
  }
}

class ThreadedAdapter extends ThreadedQueryable implements SqlDriverAdapter {
  constructor(thread: PGliteThread) {
    super(thread, 0);
  }

  executeScript(script: string): Promise<void> {
    return this.thread.call({ op: 'executeScript', script });
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const { id, options } = await this.thread.call<{ id: number; options: TransactionOptions }>({ op: 'startTransaction', isolationLevel });
    return new ThreadedTransaction(this.thread, id, options);
  }

  getConnectionInfo(): ConnectionInfo {
    return this.thread.info.connectionInfo ?? { supportsRelationJoins: true };
  }

  async dispose(): Promise<void> {
    // The thread's lifetime is the database's: PGliteThread.close ends it.
  }
}

class ThreadedTransaction extends ThreadedQueryable implements Transaction {
  constructor(
    thread: PGliteThread,
    tx: number,
    readonly options: TransactionOptions,
  ) {
    super(thread, tx);
  }

  commit(): Promise<void> {
    return this.thread.call({ op: 'commit', tx: this.tx });
  }

  rollback(): Promise<void> {
    return this.thread.call({ op: 'rollback', tx: this.tx });
  }
}

function toDbError(e: DbErrorData): Error {
  switch (e.name) {
    case 'ConflictError':
      return new ConflictError(e.message, e.target);
    case 'NotFoundError':
      return new NotFoundError(e.message, e.model);
    case 'InvalidDataError':
      return new InvalidDataError(e.message);
  }
}
