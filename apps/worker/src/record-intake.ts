import type { Redis, RunRecordEntry, RunRecordStream } from '@switchboard/queue';
import { decodeRunRecord } from '@switchboard/runs';
import type { Logger } from 'pino';
import { RecordGivenUpError, type RunRecorder } from './run-recorder.js';

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
 * the same RunRecorder as the worker's own runs: many per transaction under load. An entry is acknowledged
 * once it is written, so while the database is down the records wait in Redis (not in this process's memory)
 * and a worker that dies leaves its unacknowledged entries to another. A record the database refuses is
 * logged and acknowledged (retrying it forever would only fill the log); one given up after the recorder's
 * hold time stays unacknowledged, and is claimed and tried again later.
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
        const recorded = await Promise.all(entries.map((e) => this.record(e)));
        await this.stream.ack(entries.filter((_, i) => recorded[i]).map((e) => e.id));
        if (entries.length < READ_COUNT) await new Promise((r) => setTimeout(r, LINGER_MS));
      } catch (error) {
        if (!this.running) break;
        if (/NOGROUP/.test(String(error))) await this.stream.ensureGroup().catch(() => undefined); // Redis lost its data
        await this.pause(error);
      }
    }
  }

  /** Whether the entry is done with (written, or refused for good); false leaves it in the stream. */
  private async record(entry: RunRecordEntry): Promise<boolean> {
    let parsed: ReturnType<typeof decodeRunRecord>;
    try {
      parsed = decodeRunRecord(entry.record);
    } catch (error) {
      this.logger.error({ err: error, entry: entry.id }, 'unreadable record of a run a gateway ran');
      return true;
    }
    try {
      await this.recorder?.record(parsed.job, parsed.outcome, { durable: true });
      return true;
    } catch (error) {
      if (error instanceof RecordGivenUpError) return false;
      this.logger.error({ err: error, runId: parsed.job.runId }, 'could not record a run a gateway ran');
      return true;
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
