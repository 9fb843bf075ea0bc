import { type RunEvent, terminalEventTypes } from '@switchboard/contracts';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { readRunEvents } from './run-event-writer.js';

export type RunEventListener = (seq: number, event: RunEvent) => void;

export interface RunSubscription {
  unsubscribe(): void;
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
}

/**
 * Multiplexes every open stream of one gateway over two Redis connections: a subscriber connection carrying
 * one pub/sub channel per open run, and a command connection for catch-up reads. A subscriber first reads
 * what the stream already holds after its last seq (XRANGE), then follows live messages; a gap in seqs (a
 * message lost while Redis reconnected) triggers another catch-up, so a client never misses an event.
 */
export class RunEventHub {
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  /** Runs this gateway accepted, fed by its reply channel. */
  private readonly byRun = new Map<string, Subscriber>();
  /** This gateway's reply channel, named in the jobs it enqueues. */
  readonly replyChannel: string;

  constructor(
    private readonly sub: Redis,
    private readonly cmd: Redis,
    private readonly keys: RedisKeys,
    instanceId: string,
  ) {
    this.replyChannel = keys.replyChannel(instanceId);
    sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // After a reconnect ioredis resubscribes by itself; what was published meanwhile is read from the streams.
    sub.on('ready', () => {
      for (const subs of this.byChannel.values()) for (const s of subs) this.catchUp(s);
      for (const s of this.byRun.values()) this.catchUp(s);
    });
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
  follow(runId: string, listener: RunEventListener, onError: (error: unknown) => void): RunSubscription {
    const s: Subscriber = { runId, lastSeq: 0, listener, onError, buffer: null, done: false, reply: true };
    this.byRun.set(runId, s);
    return { unsubscribe: () => this.remove(s) };
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

  private catchUp(s: Subscriber): void {
    if (s.done) return;
    s.buffer ??= [];
    readRunEvents(this.cmd, this.keys, s.runId, s.lastSeq).then(
      (events) => {
        for (const { seq, event } of events) this.deliver(s, seq, event);
        const buffered = s.buffer ?? [];
        s.buffer = null;
        for (const m of buffered) this.onLive(s, m.seq, m.raw);
      },
      (error: unknown) => this.fail(s, error),
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
    if (terminalEventTypes.has(event.t)) this.remove(s);
    s.listener(seq, event);
  }
}
