import type { Database, StartedRun } from '@switchboard/db';
import type { Logger } from 'pino';

/**
 * The database side of "this worker is on it": the Run row appears (status running, attempt) when a run
 * starts, and its heartbeat moves every `heartbeatMs` while it runs, so the watchdog can tell live runs from
 * dead ones.
 * Heartbeats go to the database, not Redis, because the watchdog (and the API's GET /api/runs/:id) read the
 * runs table: one timer per worker process writes the heartbeat of every run it holds in ONE statement, so
 * the cost per tick does not grow with concurrency. Start writes never delay a run: they are queued, batched
 * with the starts of the same moment, and only the run's final record waits for its own start write (so a
 * late start can never overwrite the finished row).
 */
export class RunLiveness {
  private readonly active = new Set<string>();
  private pending: StartedRun[] = [];
  private flushing: Promise<void> | null = null;
  private readonly started = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Call when a run starts; returns at once. The promise settles when its start is written (never rejects). */
  start(run: StartedRun): Promise<void> {
    this.active.add(run.id);
    const written = new Promise<void>((resolve) => {
      this.pending.push(run);
      const flush = this.flushing ?? Promise.resolve();
      // setImmediate batches every start of this tick; the chain keeps writes in order.
      this.flushing = flush.then(() => new Promise<void>((r) => setImmediate(r))).then(() => this.writeStarts());
      void this.flushing.then(resolve);
    });
    this.started.set(run.id, written);
    return written;
  }

  /** Resolves when the run's start write is done (so its final record lands after it). */
  settled(runId: string): Promise<void> {
    return this.started.get(runId) ?? Promise.resolve();
  }

  /** The run left this worker: no more heartbeats for it. */
  end(runId: string): void {
    this.active.delete(runId);
    this.started.delete(runId);
  }

  get size(): number {
    return this.active.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.beating;
  }

  private async writeStarts(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.db.runs.markStarted(batch);
    } catch (error) {
      // The final record creates the row anyway; a missing start only delays what the watchdog can see.
      this.logger.warn({ err: error, runs: batch.length }, 'could not mark runs started');
    }
  }

  private beat(): void {
    if (this.beating || this.active.size === 0) return;
    const ids = [...this.active];
    this.beating = this.db.runs
      .heartbeatMany(ids, new Date())
      .catch((error: unknown) => this.logger.warn({ err: error, runs: ids.length }, 'could not write heartbeats'))
      .finally(() => {
        this.beating = null;
      });
  }
}
