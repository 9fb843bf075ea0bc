import type { Database, StartedRun } from '@switchboard/db';
import type { Logger } from 'pino';

/**
 * The database side of "this worker is on it": a run that is still going at the next heartbeat tick gets its
 * Run row (status running, attempt), and its heartbeat moves every `heartbeatMs` while it runs, so the
 * watchdog can tell live runs from dead ones.
 * Heartbeats go to the database, not Redis, because the watchdog (and the API's GET /api/runs/:id) read the
 * runs table. One timer per worker process writes, per tick, the start rows of the runs that began since the
 * last tick and the heartbeat of every other run it holds: two statements whatever the concurrency.
 * Runs shorter than one tick (most chat answers) never cost a write before their final record: on embedded
 * PGlite every write holds the event loop that streams the answers, so a per-run start write halved
 * throughput. A crash inside that first tick is still recovered: the job itself is in Redis, and BullMQ's
 * stalled check hands it to another worker.
 */
export class RunLiveness {
  /** Runs held by this worker; the value is the start row, until it is written. */
  private readonly active = new Map<string, StartedRun | null>();
  /** Start writes in flight, so a run's final record can land after its start row, never before. */
  private readonly starting = new Map<string, Promise<void>>();
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

  /** Call when a run starts; writes nothing now. */
  start(run: StartedRun): void {
    this.active.set(run.id, run);
  }

  /** Resolves when the run's start write, if one is in flight, is done (so its final record lands after it). */
  settled(runId: string): Promise<void> {
    return this.starting.get(runId) ?? Promise.resolve();
  }

  /**
   * The run went to the background: its row says so at once (clients poll GET /api/runs/:id for it), even when
   * the start row was not written yet. Best effort: the final record carries the mode too.
   */
  markBackground(runId: string): void {
    const pending = this.active.get(runId);
    if (pending) this.active.set(runId, null);
    const started = pending ? this.db.runs.markStarted([pending]) : this.settled(runId);
    // The final record waits for this (settled), so a run that ends at once is not set back to background.
    const marking = started
      .then(() => this.db.runs.update(runId, { status: 'background', mode: 'background' }))
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error, runId }, 'could not mark the run as in the background'))
      .finally(() => this.starting.get(runId) === marking && this.starting.delete(runId));
    this.starting.set(runId, marking);
  }

  /** The run left this worker: no more heartbeats for it. */
  end(runId: string): void {
    this.active.delete(runId);
  }

  get size(): number {
    return this.active.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
  }

  private beat(): void {
    if (this.beating || this.active.size === 0) return;
    const starts: StartedRun[] = [];
    const beats: string[] = [];
    for (const [id, run] of this.active) {
      if (run) {
        starts.push(run);
        this.active.set(id, null);
      } else {
        beats.push(id);
      }
    }
    const startWrite = starts.length
      ? this.db.runs.markStarted(starts).catch((error: unknown) => {
          // The final record creates the row anyway; a missing start only delays what the watchdog can see.
          this.logger.warn({ err: error, runs: starts.length }, 'could not mark runs started');
        })
      : Promise.resolve();
    for (const run of starts) this.starting.set(run.id, startWrite);
    const beatWrite = beats.length
      ? this.db.runs
          .heartbeatMany(beats, new Date())
          .then(() => undefined)
          .catch((error: unknown) => this.logger.warn({ err: error, runs: beats.length }, 'could not write heartbeats'))
      : Promise.resolve();
    this.beating = Promise.all([startWrite, beatWrite])
      .then(() => undefined)
      .finally(() => {
        for (const run of starts) if (this.starting.get(run.id) === startWrite) this.starting.delete(run.id);
        this.beating = null;
      });
  }
}
