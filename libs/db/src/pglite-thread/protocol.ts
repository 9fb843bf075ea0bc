import type { DatabaseTarget } from '../database-url.js';

/** Messages between the main thread and the thread that runs embedded PGlite (see threaded-adapter.ts). */

export interface HostData {
  /** The embedded database: its data dir, or undefined for memory. */
  target: DatabaseTarget & { kind: 'pglite' };
  /** Apply pending migrations before answering `ready`. */
  migrate: boolean;
  migrationsDir?: string;
  lockTimeoutMs?: number;
}

export type Call =
  | { id: number; op: 'queryRaw' | 'executeRaw'; tx: number; query: { sql: string; args: unknown[]; argTypes: unknown[] } }
  | { id: number; op: 'executeScript'; script: string }
  | { id: number; op: 'startTransaction'; isolationLevel?: string }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  /** Writes run records with the thread's own Prisma client (recordRuns), in one transaction. */
  | { id: number; op: 'recordRuns'; records: unknown[] }
  | { id: number; op: 'close' };

export type Reply =
  | { id: number; ok: true; value: unknown }
  /** `adapterError`: a DriverAdapterError's payload (Prisma maps it to P2002 and friends); else a plain error. */
  | { id: number; ok: false; adapterError?: unknown; name?: string; message?: string; dbError?: DbErrorData };

/** A data-layer error (errors.ts) thrown in the thread, so the caller gets the same class (callers branch on it). */
export interface DbErrorData {
  name: 'ConflictError' | 'NotFoundError' | 'InvalidDataError';
  message: string;
  target?: { model?: string; fields?: string[] };
  model?: string;
}

export type HostEvent =
  | { type: 'ready'; connectionInfo: unknown; provider: string; adapterName: string }
  | { type: 'failed'; name: string; message: string; code?: string };
