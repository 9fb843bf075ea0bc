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
  | { id: number; op: 'close' };

export type Reply =
  | { id: number; ok: true; value: unknown }
  /** `adapterError`: a DriverAdapterError's payload (Prisma maps it to P2002 and friends); else a plain error. */
  | { id: number; ok: false; adapterError?: unknown; name?: string; message?: string };

export type HostEvent =
  | { type: 'ready'; connectionInfo: unknown; provider: string; adapterName: string }
  | { type: 'failed'; name: string; message: string; code?: string };
