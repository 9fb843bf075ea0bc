import type { ChatRunJob } from '@switchboard/contracts';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { defineRedisCommand } from './redis.js';

/**
 * The durable side of the runs a gateway runs itself (config `server.inline_runs`): a plain call to a remote
 * provider is I/O the gateway can do as well as a worker, without the queue's two extra hops and a second
 * process on the hot path. What the queue gave such a run, this keeps:
 *
 * - **The request survives the gateway.** `open` stores the job and a lease (a ZSET score, renewed by the gateway
 *   every third of `leaseMs`) before the client sees anything. A gateway that dies stops renewing; a worker's
 *   watchdog `claimExpired`s the run and enqueues it as a BullMQ job marked `handoff`, which continues from the
 *   events already in the run's stream exactly like a retry after a worker crash.
 * - **The events are the run's stream,** written with the same RunEventWriter (same ids, fencing, TTL), so
 *   resuming with Last-Event-ID works on any gateway.
 * - **The record is written by a worker,** in batches: `close` appends {job, outcome} to the records stream
 *   and drops the lease in one transaction; workers read the stream as a consumer group (RunRecordStream) and
 *   acknowledge an entry once the recorder has it, and entries a dead worker had read are claimed by another.
 */
/** KEYS: job, leases. ARGV: job JSON, lease expiry (ms), run id. */
const OPEN_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

/** KEYS: records, leases, job. ARGV: records max length, record JSON, run id, job TTL (s). */
const CLOSE_SCRIPT = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'r', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sbInlineOpen(jobKey: string, leasesKey: string, job: string, until: number, runId: string): Promise<number> & Context;
    sbInlineClose(recordsKey: string, leasesKey: string, jobKey: string, maxLen: number, record: string, runId: string, ttl: number): Promise<number> & Context;
  }
}

export class InlineRunLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** How long a run stays the gateway's without a renewal (config queue.lock_ms, like a worker's job lock). */
    readonly leaseMs: number,
    /** Seconds the job stays readable after the run ended (config queue.events_ttl_seconds), for resuming. */
    private readonly ttlSeconds: number,
    /** The clock leases are measured by; tests pass their own to move time instead of sleeping past a lease. */
    private readonly now: () => number = Date.now,
  ) {
    // Scripts rather than MULTI: one command each, so on an auto-pipelined connection many runs' opens and
    // closes share a socket write (a MULTI is a pipeline of its own, and socket writes are the gateway's main cost).
    defineRedisCommand(redis, 'sbInlineOpen', { numberOfKeys: 2, lua: OPEN_SCRIPT });
    defineRedisCommand(redis, 'sbInlineClose', { numberOfKeys: 3, lua: CLOSE_SCRIPT });
  }

  /** Stores the job and takes its lease. */
  async open(job: ChatRunJob): Promise<void> {
    await this.redis.sbInlineOpen(this.keys.runJobData(job.runId), this.keys.inlineLeases(), JSON.stringify(job), this.now() + this.leaseMs, job.runId);
  }

  /** Extends the leases of runs still in progress (ZADD XX: a lease a worker claimed meanwhile stays claimed). */
  async renew(runIds: string[]): Promise<void> {
    const until = this.now() + this.leaseMs;
    for (let i = 0; i < runIds.length; i += 500) {
      const args = runIds.slice(i, i + 500).flatMap((id) => [until, id]);
      await this.redis.zadd(this.keys.inlineLeases(), 'XX', ...args);
    }
  }

  /** The run ended and its events are written: queue its record, drop the lease, let the job expire. */
  async close(runId: string, record: string): Promise<void> {
    await this.redis.sbInlineClose(this.keys.runRecords(), this.keys.inlineLeases(), this.keys.runJobData(runId), RECORDS_MAX, record, runId, this.ttlSeconds);
  }

  /** The run went to the queue (a BullMQ job now owns it): drop the lease, keep the job readable a while. */
  async drop(runId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.inlineLeases(), runId).expire(this.keys.runJobData(runId), this.ttlSeconds).exec().then(execResult);
  }

  /** Gives a run up at once (a gateway shutting down): the next watchdog scan hands it to a worker. */
  async release(runIds: string[]): Promise<void> {
    if (runIds.length) await this.redis.zadd(this.keys.inlineLeases(), 'XX', ...runIds.flatMap((id) => [0, id]));
  }

  async job(runId: string): Promise<ChatRunJob | null> {
    return readInlineJob(this.redis, this.keys, runId);
  }

  /**
   * Runs whose lease expired, each claimed by exactly one caller (whoever removes it from the ZSET), with the
   * job when it is still there (null: Redis lost it, so the run cannot be continued).
   */
  async claimExpired(limit = 200): Promise<{ runId: string; job: ChatRunJob | null }[]> {
    const expired = await this.redis.zrangebyscore(this.keys.inlineLeases(), '-inf', this.now(), 'LIMIT', 0, limit);
    const claimed: { runId: string; job: ChatRunJob | null }[] = [];
    for (const runId of expired) {
      if ((await this.redis.zrem(this.keys.inlineLeases(), runId)) !== 1) continue;
      claimed.push({ runId, job: await this.job(runId) });
    }
    return claimed;
  }
}

/** The job a gateway stored for a run it runs itself (kept `events_ttl_seconds` after it ended), or null. */
export async function readInlineJob(redis: Redis, keys: RedisKeys, runId: string): Promise<ChatRunJob | null> {
  const raw = await redis.get(keys.runJobData(runId));
  return raw ? (JSON.parse(raw) as ChatRunJob) : null;
}

/**
 * Bounds the records stream should no worker read it for a long time (none running): past this many entries
 * the oldest are trimmed. At a few hundred bytes each it caps the stream near 100 MB.
 */
const RECORDS_MAX = 300_000;

const RECORDERS_GROUP = 'recorders';

export interface RunRecordEntry {
  id: string;
  record: string;
}

/** The workers' side of the records stream: a consumer group, so each record is written once. */
export class RunRecordStream {
  constructor(
    /** A connection of its own: `read` blocks it. */
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly consumer: string,
  ) {}

  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.runRecords(), RECORDERS_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw error;
    }
  }

  /** New entries for this consumer, waiting up to `blockMs` for the first. */
  async read(count: number, blockMs: number): Promise<RunRecordEntry[]> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      RECORDERS_GROUP,
      this.consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.runRecords(),
      '>',
    )) as [string, [string, string[]][]][] | null;
    return entries(reply?.[0]?.[1] ?? []);
  }

  /** Entries another consumer read but did not acknowledge for `minIdleMs` (it died): now this one's. */
  async claimStale(minIdleMs: number, count: number): Promise<RunRecordEntry[]> {
    const reply = (await this.redis.xautoclaim(this.keys.runRecords(), RECORDERS_GROUP, this.consumer, minIdleMs, '0', 'COUNT', count)) as [
      string,
      [string, string[]][],
    ];
    return entries(reply[1] ?? []);
  }

  /** Recorded: acknowledged and deleted, so the stream holds only what is still to be written. */
  async ack(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.redis.multi().xack(this.keys.runRecords(), RECORDERS_GROUP, ...ids).xdel(this.keys.runRecords(), ...ids).exec().then(execResult);
  }
}

function entries(raw: [string, string[]][]): RunRecordEntry[] {
  // A deleted entry that was still pending comes back from XAUTOCLAIM with no fields.
  return raw.filter(([, fields]) => Array.isArray(fields) && fields[1] !== undefined).map(([id, fields]) => ({ id, record: fields[1]! }));
}

/** MULTI's reply holds each command's error instead of rejecting: surface the first. */
function execResult(result: [Error | null, unknown][] | null): void {
  if (!result) throw new Error('transaction aborted');
  for (const [error] of result) if (error) throw error;
}
