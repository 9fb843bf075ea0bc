import type { ChatRunJob, RunEvent, SwitchboardConfig } from '@switchboard/contracts';
import type { Logger } from 'pino';
import { describeFailure, settleAnswer } from './model-run.js';
import type { ResponseCache } from './routing/response-cache.js';
import type { RateLimits } from './routing/rate-limits.js';
import { type RunOutcome, runOutcome } from './run-outcome.js';
import type { RunState } from './run-state.js';

/**
 * What differs between the two hosts of a run (a worker running a queued job, a gateway running a plain call
 * itself); everything else about a run's life is `runLifecycle`'s, written once.
 */
export interface RunHost {
  /** This attempt's number (a worker's retry, or a run a gateway handed over, counts on). */
  readonly attempt: number;
  readonly logger: Logger;
  emit(event: RunEvent): void;
  /** Resolves once every event emitted so far is in Redis. */
  flush(): Promise<void>;
  /** Keeps the run's outcome (the worker's recorder, the gateway's records stream). */
  record(outcome: RunOutcome): Promise<void>;
  /**
   * A failure this host ends its own way: another attempt owns the run now, the host is shutting down and hands
   * the run on, Redis failed under it. Returns true when it took care of it (or throws, to tell its caller);
   * false leaves it to the lifecycle, which ends the run with an `error` event.
   */
  takeOver(error: unknown, cancelled: boolean): Promise<boolean>;
  /** The terminal `error` event could not be written (Redis is away): true when the host hands the run on. */
  terminalWriteFailed?(error: unknown): Promise<boolean>;
}

export interface RunLifecycleDeps {
  config: SwitchboardConfig;
  cache: ResponseCache;
  limits: RateLimits;
}

export interface RunEnd {
  status: 'succeeded' | 'failed' | 'cancelled' | 'taken-over';
  /** What the client was told, for a failed or cancelled run. */
  error: string | null;
}

export interface RunWork {
  /** Before the `start` event (resolving the target, say); a throw here ends the run like any failure. */
  prepare?(): void;
  /** Produces the answer into the run's state and events. */
  execute(): Promise<void>;
}

/**
 * A run's own conversation: a run without one gets the run's id, the same on every attempt and host, so a
 * retried run lands where its notifications said. True when the run owns it (a client's id is not announced
 * before the database has checked it belongs to the client).
 */
export function claimConversation(job: ChatRunJob): boolean {
  const own = job.conversationId === null && job.externalConversationId === null;
  if (own) job.conversationId = job.runId;
  return own;
}

/**
 * One run attempt from its `start` event to its record, on either host: `execute` produces the answer (a plain
 * call through the router, an agent, a pipeline, a cache hit) into `state` and the host's events. Failures are
 * final here (the router already retried and fell back) unless the host takes them over; they end the stream
 * with an OpenAI-shaped `error` event so no client waits forever, and are recorded.
 */
export async function runLifecycle(
  deps: RunLifecycleDeps,
  host: RunHost,
  job: ChatRunJob,
  state: RunState,
  signal: AbortSignal,
  work: RunWork,
): Promise<RunEnd> {
  const outcome = (status: RunOutcome['status'], error: string | null): RunOutcome => runOutcome(state, host.attempt, status, error);
  try {
    work.prepare?.();
    host.emit({ t: 'start', provider: state.provider, model: state.model, attempt: host.attempt });
    await work.execute();
    await host.flush();
    await host.record(outcome('succeeded', null));
    settleAnswer({ cache: deps.cache, limits: deps.limits, tokenLimits: deps.config.rate_limit.tokens_per_minute, logger: host.logger }, job, state);
    return { status: 'succeeded', error: null };
  } catch (error) {
    const cancelled = signal.aborted;
    if (await host.takeOver(error, cancelled)) return { status: 'taken-over', error: null };
    const failure = describeFailure(error, cancelled);
    host.logger[cancelled ? 'info' : 'error']({ err: cancelled ? undefined : error, code: failure.code }, 'run ended without an answer');
    try {
      host.emit({ t: 'error', ...failure });
      await host.flush();
    } catch (writeError) {
      host.logger.error({ err: writeError }, 'could not write the terminal event');
      if (await host.terminalWriteFailed?.(writeError)) return { status: 'taken-over', error: null };
    }
    await host.record(outcome(cancelled ? 'cancelled' : 'failed', failure.message)).catch((e: unknown) => {
      host.logger.error({ err: e }, 'could not record the failed run');
    });
    return { status: cancelled ? 'cancelled' : 'failed', error: failure.message };
  }
}
