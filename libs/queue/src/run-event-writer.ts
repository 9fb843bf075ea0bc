import { type RunEvent, terminalEventTypes } from '@switchboard/contracts';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { defineRedisCommand } from './redis.js';

/**
 * Appends events to a run's stream and publishes them to live subscribers in one atomic script.
 * Stream ids are `0-<seq>`, chosen by the writer: a retried run continues from the last seq, and a zombie
 * writer (a worker that lost its job but keeps going) is fenced off because Redis refuses an id that is not
 * greater than the stream's last one.
 * Each event is published on the run's own channel (resuming clients) and, when the run has one, on the
 * reply channel of the gateway that accepted it (`<runId> <seq> <json>`): that gateway subscribed once at
 * start, so a fresh run costs it no SUBSCRIBE, UNSUBSCRIBE or catch-up read.
 * ARGV: run channel, ttl, reply channel ('' for none), runId, then seq/json pairs.
 */
const APPEND_SCRIPT = `
local n = (#ARGV - 4) / 2
for i = 0, n - 1 do
  redis.call('XADD', KEYS[1], '0-' .. ARGV[5 + i * 2], 'e', ARGV[6 + i * 2])
end
for i = 0, n - 1 do
  redis.call('PUBLISH', ARGV[1], ARGV[5 + i * 2] .. ' ' .. ARGV[6 + i * 2])
end
if ARGV[3] ~= '' then
  for i = 0, n - 1 do
    redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. ARGV[5 + i * 2] .. ' ' .. ARGV[6 + i * 2])
  end
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sbAppendRunEvents(key: string, ...args: (string | number)[]): Promise<number> & Context;
  }
}

export function defineRunEventCommands(redis: Redis): void {
  defineRedisCommand(redis, 'sbAppendRunEvents', { numberOfKeys: 1, lua: APPEND_SCRIPT });
}

export class RunFencedError extends Error {
  override readonly name = 'RunFencedError';
  constructor(runId: string) {
    super(`run ${runId}: another writer already appended these events (this attempt lost its job)`);
  }
}

export class RunEventWriter {
  private seq: number;
  private pending: RunEvent[] = [];
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: unknown = null;
  private ended = false;
  private backgrounded = false;
  /** Whether content (text, tool calls) has gone out: the first token is never held back. */
  private contentSent = false;
  private lastWriteAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    readonly runId: string,
    /** The last seq already in the stream (0 for a fresh run). */
    lastSeq: number,
    /** Seconds the stream stays readable after its terminal event. */
    private readonly ttlSeconds: number,
    /** The accepting gateway's reply channel, if it asked for one. */
    private readonly replyChannel: string | null = null,
    /** After the first token, deltas within this window leave together (config server.stream_coalesce_ms). */
    private readonly coalesceMs = 0,
    /**
     * Told of every event once Redis has it, in order: a gateway running the run itself feeds its client from
     * here, so the client never sees an event a resume or a takeover would not find in the stream.
     */
    private readonly onWritten: ((seq: number, event: RunEvent) => void) | null = null,
    /**
     * A connection without auto-pipelining for the write that carries the first content: it leaves at once
     * rather than after the event loop's turn (on an auto-pipelined connection a command waits for setImmediate,
     * behind the rest of the upstream's chunk), which is time to first token. Writes never overlap (one in
     * flight at a time), so two connections cannot reorder them.
     */
    private readonly urgent: Redis | null = null,
  ) {
    defineRunEventCommands(redis);
    if (urgent) defineRunEventCommands(urgent);
    this.seq = lastSeq;
  }

  /** Whether a write failed (Redis unreachable, or fenced): nothing more can be appended. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** The seq of the last event written to Redis. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Queues an event. Consecutive text (or reasoning) deltas that wait together merge into one event. They wait
   * while a write is in flight, and, once the first token is out, until `coalesceMs` after the last write:
   * the first token goes at once (time to first token), later ones in a few ms batches (far fewer Redis and
   * socket writes per token), anything else (tool calls, the terminal event) at once.
   */
  append(event: RunEvent): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error(`run ${this.runId}: event after the terminal event`);
    const last = this.pending.at(-1);
    const delta = event.t === 'text' || event.t === 'reasoning';
    if (last && delta && last.t === event.t) {
      this.pending[this.pending.length - 1] = { t: event.t, d: last.d + event.d };
    } else {
      this.pending.push(event);
    }
    // `background` ends what clients follow, but the run goes on and keeps writing (its text, then finish or
    // error), so a retry after a crash continues it and a reader resuming after `background` can follow it.
    if (event.t === 'background') this.backgrounded = true;
    else if (terminalEventTypes.has(event.t)) this.ended = true;
    this.schedule(delta);
  }

  /** Resolves when every appended event is in Redis; rejects if any write failed. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.timer) this.writeNow();
      if (!this.inFlight) break;
      await this.inFlight;
    }
    if (this.failure) throw this.failure;
  }

  private schedule(delta: boolean): void {
    if (this.inFlight || this.pending.length === 0) return;
    const wait = delta && this.contentSent ? this.lastWriteAt + this.coalesceMs - Date.now() : 0;
    if (wait > 0) {
      this.timer ??= setTimeout(() => this.writeNow(), wait);
      return;
    }
    this.writeNow();
  }

  private writeNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.inFlight && this.pending.length > 0) this.inFlight = this.drain();
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const args: string[] = [];
    let seq = this.seq;
    const firstContent = !this.contentSent;
    for (const event of batch) {
      args.push(String(++seq), JSON.stringify(event));
      if (event.t === 'text' || event.t === 'tool' || event.t === 'reasoning') this.contentSent = true;
    }
    const redis = firstContent && this.contentSent && this.urgent ? this.urgent : this.redis;
    try {
      await redis.sbAppendRunEvents(
        this.keys.runEvents(this.runId),
        this.keys.runChannel(this.runId),
        this.ended || this.backgrounded ? this.ttlSeconds : 0,
        this.replyChannel ?? '',
        this.runId,
        ...args,
      );
      if (this.onWritten) for (let i = 0; i < batch.length; i++) this.onWritten(this.seq + i + 1, batch[i]!);
      this.seq = seq;
    } catch (error) {
      this.failure = /equal or smaller/i.test(String(error)) ? new RunFencedError(this.runId) : error;
    } finally {
      this.lastWriteAt = Date.now();
      this.inFlight = null;
    }
    if (this.failure) return;
    // What queued up meanwhile: deltas only wait out the rest of the window, anything else goes now.
    this.schedule(this.pending.every((e) => e.t === 'text' || e.t === 'reasoning'));
  }
}

/** The seq of the last event in a run's stream, 0 when it has none. */
export async function lastRunEventSeq(redis: Redis, keys: RedisKeys, runId: string): Promise<number> {
  const last = await redis.xrevrange(keys.runEvents(runId), '+', '-', 'COUNT', 1);
  const id = last[0]?.[0];
  return id ? Number(id.slice(2)) : 0;
}

export interface StoredRunEvent {
  seq: number;
  event: RunEvent;
}

/** Events after `afterSeq`, in order. */
export async function readRunEvents(redis: Redis, keys: RedisKeys, runId: string, afterSeq: number): Promise<StoredRunEvent[]> {
  const entries = await redis.xrange(keys.runEvents(runId), `0-${afterSeq + 1}`, '+');
  return entries.map(([id, fields]) => ({ seq: Number(id.slice(2)), event: JSON.parse(fields[1] ?? 'null') as RunEvent }));
}
