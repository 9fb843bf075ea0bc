import type { RunEvent } from '@switchboard/contracts';
import type { RunEventHub, RunSubscription } from '@switchboard/queue';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ChunkRenderer } from './chunk-renderer.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { followFailure, startSse } from './responses.js';

interface OpenStream {
  res: ServerResponse;
  runId: string;
  lastWrite: number;
}

/**
 * Relays runs' events to clients as SSE: every open stream, one heartbeat timer for all of them (a `: ping`
 * to each stream silent for heartbeat_ms), and the draining of what is left at shutdown.
 */
export class SseRelay {
  private readonly open = new Set<OpenStream>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly hub: RunEventHub,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const s of this.open) {
        if (now - s.lastWrite >= heartbeatMs) {
          startSse(s.res, s.runId, false);
          s.res.write(': ping\n\n');
          s.lastWrite = now;
        }
      }
    }, Math.max(25, Math.floor(heartbeatMs / 4)));
    this.heartbeat.unref();
  }

  get size(): number {
    return this.open.size;
  }

  /** Relays a run's events to `res` as SSE until its terminal event or until the client leaves. */
  relay(
    res: ServerResponse,
    runId: string,
    /** null: a run this gateway is about to start (events come on its reply channel); else resume after this seq. */
    afterSeq: number | null,
    renderer: ChunkRenderer,
    onClientGone: () => void,
    headers: Record<string, string> = {},
  ): RunSubscription {
    const head = { ...headers, 'X-Run-Id': runId };
    const stream: OpenStream = { res, runId, lastWrite: Date.now() };
    this.open.add(stream);
    this.metrics.openStreams.inc();
    let finished = false;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      res.uncork();
    };
    const end = (): void => {
      if (finished) return;
      finished = true;
      this.open.delete(stream);
      this.metrics.openStreams.dec();
    };
    const onEvent = (seq: number, event: RunEvent): void => {
      const text = renderer.render(seq, event);
      if (text) {
        // The head leaves with the first text (one socket write).
        startSse(res, runId, false, head);
        // Events that arrive together (one read from Redis) leave in one socket write.
        if (!corked) {
          corked = true;
          res.cork();
          process.nextTick(uncork);
        }
        res.write(text);
        stream.lastWrite = Date.now();
      }
      if (text.endsWith('[DONE]\n\n')) {
        end();
        res.end();
      }
    };
    const onError = (error: unknown): void => {
      this.logger.error({ err: error, runId }, 'run event subscription failed');
      if (!finished) {
        startSse(res, runId, true, head);
        res.write(`data: ${JSON.stringify(followFailure(error, runId).toBody())}\n\ndata: [DONE]\n\n`);
        end();
        res.end();
      }
    };
    const subscription = afterSeq === null ? this.hub.follow(runId, onEvent, onError) : this.hub.subscribe(runId, afterSeq, onEvent, onError);
    res.on('close', () => {
      if (finished) return;
      end();
      subscription.unsubscribe();
      onClientGone();
    });
    return subscription;
  }

  /** Cuts every stream still open (the end of a drain) and stops the heartbeat. */
  close(): void {
    for (const s of this.open) s.res.destroy();
    clearInterval(this.heartbeat);
  }
}
