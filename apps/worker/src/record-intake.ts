import type { ChatRunJob } from '@switchboard/contracts';
import type { Redis, RunRecordEntry, RunRecordStream } from '@switchboard/queue';
import type { RunOutcome } from '@switchboard/runs';
import type { Logger } from 'pino';
import type { RunRecorder } from './run-recorder.js';

/** Most records one read takes; the recorder writes them in transactions of its own batch size. */
const READ_COUNT = 256;
/**
 * After a read that did not fill a batch, wait this long before the next: records pile up meanwhile, and one
 * transaction of many runs costs the database far less per run than many small ones. Nobody waits on a record
 * (the client had its answer), so this only delays when a finished run shows up in the database.
 */
const LINGER_MS = 100;
/** A record another worker read and did not acknowledge for this long is taken over (that worker died). */
const CLAIM_IDLE_MS = 60_000;

/**
 * Writes the records of the runs gateways ran themselves (InlineRunLedger.close) into the database, through
 * the same RunRecorder as the worker's own runs: many per transaction under load, held in memory while the
 * database is down. An entry is acknowledged once the recorder has it; a record the database refuses is
 * logged and acknowledged (retrying it forever would block nothing but fill the log).
 */
export class RecordIntake {
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly stream: RunRecordStream,
    /** The connection `stream` blocks on: closed to stop. */
    private readonly connection: Redis,
    /** Null without a database: records are acknowledged and dropped. */
    private readonly recorder: RunRecorder | null,
    private readonly logger: Logger,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    while (this.running) {
      try {
        await this.stream.ensureGroup();
        break;
      } catch (error) {
        await this.pause(error);
      }
    }
    while (this.running) {
      try {
        let entries: RunRecordEntry[] = [];
        if (Date.now() - lastClaim > CLAIM_IDLE_MS / 2) {
          lastClaim = Date.now();
          entries = await this.stream.claimStale(CLAIM_IDLE_MS, READ_COUNT);
        }
        if (!entries.length) entries = await this.stream.read(READ_COUNT, 1000);
        if (!entries.length) continue;
        await Promise.all(entries.map((e) => this.record(e)));
        await this.stream.ack(entries.map((e) => e.id));
        if (entries.length < READ_COUNT) await new Promise((r) => setTimeout(r, LINGER_MS));
      } catch (error) {
        if (!this.running) break;
        if (/NOGROUP/.test(String(error))) await this.stream.ensureGroup().catch(() => undefined); // Redis lost its data
        await this.pause(error);
      }
    }
  }

  private async record(entry: RunRecordEntry): Promise<void> {
    try {
      const { job, outcome } = JSON.parse(entry.record) as { job: ChatRunJob; outcome: RunOutcome & { startedAt: string } };
      await this.recorder?.record(job, { ...outcome, startedAt: new Date(outcome.startedAt) });
    } catch (error) {
      this.logger.error({ err: error, entry: entry.id }, 'could not record a run a gateway ran');
    }
  }

  private async pause(error: unknown): Promise<void> {
    if (this.connection.status === 'ready') this.logger.warn({ err: error }, 'record intake failed; retrying');
    await new Promise((r) => setTimeout(r, 500));
  }

  /** Stops reading; what was read is recorded (the recorder's own close waits for its writes). */
  async close(): Promise<void> {
    this.running = false;
    // The blocking read returns within a second; what it brings is recorded and acknowledged first.
    await this.loop;
    this.connection.disconnect();
  }
}
