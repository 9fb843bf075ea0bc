import { type RunEvent, terminalEventTypes } from '@switchboard/contracts';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { readRunEvents } from './run-event-writer.js';

export type RunEventListener = (seq: number, event: RunEvent) => void;

export interface RunSubscription {
  unsubscribe(): void;
}

export interface FollowSubscription extends RunSubscription {
  /**
   * Delivers an event of the run that did not come through Redis pub/sub: the gateway's own writer, when it
   * runs the run itself. Same order and dedup as live messages, so a run handed to a worker mid-way (whose
   * events then arrive on the reply channel) continues seamlessly.
   */
  push(seq: number, event: RunEvent): void;
}

/** Redis stayed unreachable longer than the hub's grace: the run's events can no longer be followed. */
export class RedisOutageError extends Error {
  override readonly name = 'RedisOutageError';
  constructor(readonly graceMs: number) {
    super(`Redis has been unreachable for more than ${graceMs} ms, so the run's events cannot be followed`);
  }
}

/**
 * Redis came back without the run's job (it restarted without its data) and the run stayed silent for the
 * hub's grace: no worker will finish it.
 */
export class RunLostError extends Error {
  override readonly name = 'RunLostError';
  constructor(readonly runId: string) {
    super(`run ${runId}: its job is no longer in Redis (Redis restarted without its data) and no worker wrote to it since`);
  }
}

export interface RunEventHubOptions {
  /**
   * How long open subscriptions wait for a Redis that went away before they fail with a RedisOutageError, and
   * how long a run whose job vanished meanwhile may stay silent before it fails with a RunLostError.
   * Default 10 s (config server.redis_outage_grace_ms).
   */
  outageGraceMs?: number;
}

interface Subscriber {
  runId: string;
  lastSeq: number;
  listener: RunEventListener;
  onError: (error: unknown) => void;
  /** Live messages that arrived while a catch-up read was in flight. */
  buffer: { seq: number; raw: string }[] | null;
  done: boolean;
  /** Fed by the gateway's reply channel rather than the run's own channel. */
  reply: boolean;
  /** Armed when Redis came back without the run's job: fails the subscriber unless an event arrives first. */
  quiet?: NodeJS.Timeout;
}

/**
 * Multiplexes every open stream of one gateway over two Redis connections: a subscriber connection carrying
 * one pub/sub channel per open run, and a command connection for catch-up reads. A subscriber first reads
 * what the stream already holds after its last seq (XRANGE), then follows live messages; a gap in seqs (a
 * message lost while Redis reconnected) triggers another catch-up, so a client never misses an event.
 *
 * Redis going away: subscriptions wait up to `outageGraceMs` for both connections to come back, then every
 * one fails with a RedisOutageError (so each client stream ends visibly instead of hanging). When Redis is
 * back in time, each subscriber catches up from its last seq and its run's job is checked: a Redis that
 * restarted without its data has lost the job, and such a run fails with a RunLostError unless a worker that
 * still holds it keeps writing events (each one restarts the grace).
 */
export class RunEventHub {
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  /** Runs this gateway accepted, fed by its reply channel. */
  private readonly byRun = new Map<string, Subscriber>();
  /** This gateway's reply channel, named in the jobs it enqueues. */
  readonly replyChannel: string;
  private readonly graceMs: number;
  /** Running while a connection is down: fails every subscriber when Redis stays away too long. */
  private outage: NodeJS.Timeout | null = null;

  constructor(
    private readonly sub: Redis,
    private readonly cmd: Redis,
    private readonly keys: RedisKeys,
    instanceId: string,
    options: RunEventHubOptions = {},
  ) {
    this.replyChannel = keys.replyChannel(instanceId);
    this.graceMs = options.outageGraceMs ?? 10000;
    sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    const down = (): void => this.onDown();
    sub.on('close', down);
    cmd.on('close', down);
    // ioredis emits 'ready' before it re-sends the SUBSCRIBEs: recover on a later turn, after both are back.
    const ready = (): void => void setImmediate(() => this.recover());
    sub.on('ready', ready);
    cmd.on('ready', ready);
  }

  /** Subscribes the reply channel; call once before `follow`. */
  async start(): Promise<void> {
    await this.sub.subscribe(this.replyChannel);
  }

  get openSubscriptions(): number {
    let n = this.byRun.size;
    for (const subs of this.byChannel.values()) n += subs.size;
    return n;
  }

  /**
   * Follows a run this gateway is about to enqueue with `replyTo: hub.replyChannel`. Its events arrive on the
   * reply channel, subscribed long before the job exists, so nothing can be missed and no catch-up read or
   * per-run SUBSCRIBE is needed. Call it before enqueueing.
   */
  follow(runId: string, listener: RunEventListener, onError: (error: unknown) => void): FollowSubscription {
    const s: Subscriber = { runId, lastSeq: 0, listener, onError, buffer: null, done: false, reply: true };
    this.byRun.set(runId, s);
    return {
      unsubscribe: () => this.remove(s),
      push: (seq, event) => {
        if (seq > s.lastSeq + 1) this.catchUp(s);
        else this.deliver(s, seq, event);
      },
    };
  }

  subscribe(runId: string, afterSeq: number, listener: RunEventListener, onError: (error: unknown) => void): RunSubscription {
    const s: Subscriber = { runId, lastSeq: afterSeq, listener, onError, buffer: [], done: false, reply: false };
    const channel = this.keys.runChannel(runId);
    let subs = this.byChannel.get(channel);
    const first = !subs;
    if (!subs) this.byChannel.set(channel, (subs = new Set()));
    subs.add(s);
    const ready = first ? this.sub.subscribe(channel) : Promise.resolve();
    ready.then(
      () => this.catchUp(s),
      (error: unknown) => this.fail(s, error),
    );
    return { unsubscribe: () => this.remove(s) };
  }

  private remove(s: Subscriber): void {
    s.done = true;
    if (s.quiet) clearTimeout(s.quiet);
    if (s.reply) {
      this.byRun.delete(s.runId);
      return;
    }
    const channel = this.keys.runChannel(s.runId);
    const subs = this.byChannel.get(channel);
    if (!subs) return;
    subs.delete(s);
    if (subs.size === 0) {
      this.byChannel.delete(channel);
      this.sub.unsubscribe(channel).catch(() => undefined);
    }
  }

  private fail(s: Subscriber, error: unknown): void {
    if (s.done) return;
    this.remove(s);
    s.onError(error);
  }

  /** Every open subscriber, reply-channel ones included. */
  private all(): Subscriber[] {
    const list = [...this.byRun.values()];
    for (const subs of this.byChannel.values()) list.push(...subs);
    return list;
  }

  private onDown(): void {
    if (this.outage) return;
    this.outage = setTimeout(() => {
      this.outage = null;
      if (this.sub.status === 'ready' && this.cmd.status === 'ready') return;
      const error = new RedisOutageError(this.graceMs);
      for (const s of this.all()) this.fail(s, error);
      // Still down: the next 'close' (a failed reconnect attempt) arms the timer again for later subscribers.
    }, this.graceMs);
    this.outage.unref();
  }

  private recover(): void {
    if (this.sub.status !== 'ready' || this.cmd.status !== 'ready') return;
    if (this.outage) {
      clearTimeout(this.outage);
      this.outage = null;
    }
    // The PING is queued behind ioredis's re-SUBSCRIBEs: once it answers, live messages flow again, so what a
    // catch-up read does not see yet reaches the subscriber live. A failure means Redis dropped again.
    this.sub.ping().then(
      () => {
        for (const s of this.all()) this.catchUp(s, true);
      },
      () => undefined,
    );
  }

  /** Reads what the stream holds after the subscriber's last seq; `checkJob` also asks whether its job survived. */
  private catchUp(s: Subscriber, checkJob = false): void {
    if (s.done) return;
    s.buffer ??= [];
    Promise.all([readRunEvents(this.cmd, this.keys, s.runId, s.lastSeq), checkJob ? this.cmd.exists(this.keys.runJob(s.runId), this.keys.runJobData(s.runId)) : 1]).then(
      ([events, jobs]) => {
        for (const { seq, event } of events) this.deliver(s, seq, event);
        const buffered = s.buffer ?? [];
        s.buffer = null;
        for (const m of buffered) this.onLive(s, m.seq, m.raw);
        if (jobs === 0 && !s.done && !s.quiet) {
          s.quiet = setTimeout(() => this.fail(s, new RunLostError(s.runId)), this.graceMs);
          s.quiet.unref();
        }
      },
      (error: unknown) => {
        // Redis went away again: the recovery that follows its return reads again.
        if (this.outage || this.sub.status !== 'ready' || this.cmd.status !== 'ready') return;
        this.fail(s, error);
      },
    );
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.replyChannel) {
      const a = message.indexOf(' ');
      const b = message.indexOf(' ', a + 1);
      const s = this.byRun.get(message.slice(0, a));
      if (!s) return;
      const seq = Number(message.slice(a + 1, b));
      if (s.buffer) s.buffer.push({ seq, raw: message.slice(b + 1) });
      else this.onLive(s, seq, message.slice(b + 1));
      return;
    }
    const subs = this.byChannel.get(channel);
    if (!subs) return;
    const space = message.indexOf(' ');
    const seq = Number(message.slice(0, space));
    const raw = message.slice(space + 1);
    for (const s of subs) {
      if (s.buffer) s.buffer.push({ seq, raw });
      else this.onLive(s, seq, raw);
    }
  }

  private onLive(s: Subscriber, seq: number, raw: string): void {
    if (s.done || seq <= s.lastSeq) return;
    if (seq > s.lastSeq + 1) {
      this.catchUp(s);
      return;
    }
    this.deliver(s, seq, JSON.parse(raw) as RunEvent);
  }

  private deliver(s: Subscriber, seq: number, event: RunEvent): void {
    if (s.done || seq <= s.lastSeq) return;
    s.lastSeq = seq;
    s.quiet?.refresh();
    if (terminalEventTypes.has(event.t)) this.remove(s);
    s.listener(seq, event);
  }
}
