import type { ChatRunJob, RunEvent, SwitchboardConfig } from '@switchboard/contracts';
import { type InlineRunLedger, type Redis, type RedisKeys, RunEventWriter, RunFencedError, type RunQueue } from '@switchboard/queue';
import {
  type CachedAnswer,
  callOptions,
  claimConversation,
  encodeRunRecord,
  type ModelRouter,
  newRunState,
  observeRoute,
  type ProviderRegistry,
  replayCached,
  type ResponseCache,
  type RunHost,
  runLifecycle,
  type RunState,
  type RunTarget,
  streamModel,
} from '@switchboard/runs';
import type { Logger } from 'pino';

/** The abort reason of runs still going when their gateway closes: handed to a worker, not failed. */
export const GATEWAY_SHUTDOWN = 'gateway shutting down';

/** The run could not be made durable (Redis refused it): nothing was sent, the client gets a 503. */
export class InlineOpenError extends Error {
  override readonly name = 'InlineOpenError';
}

export interface InlineRunsDeps {
  config: SwitchboardConfig;
  registry: ProviderRegistry;
  router: ModelRouter;
  cache: ResponseCache;
  /** The gateway's command connection (auto-pipelined: many runs' writes share round trips). */
  redis: Redis;
  /** A connection without auto-pipelining, for each run's first content (time to first token). */
  urgent: Redis;
  keys: RedisKeys;
  ledger: InlineRunLedger;
  runQueue: RunQueue;
  logger: Logger;
}

interface InlineRun {
  job: ChatRunJob;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The runs this gateway runs itself (config `server.inline_runs`; see InlineRunLedger for what keeps them
 * durable). The client is fed from the run's own writer as each write lands in Redis, so what it sees is
 * exactly what a resume or a takeover finds in the stream. Whatever the gateway cannot finish goes to the
 * queue with the run's events so far, and a worker continues it:
 * (A provider that fails is the router's business: it retries and falls back within the run, here.)
 * - Redis failed under the run: once Redis answers again;
 * - the gateway closes with the run unfinished, or dies: through its lease.
 */
export class InlineRuns {
  private readonly runs = new Map<string, InlineRun>();
  private readonly renewal: NodeJS.Timeout;
  private readonly max: number;

  constructor(private readonly deps: InlineRunsDeps) {
    this.max = deps.config.server.inline_runs;
    this.renewal = setInterval(() => {
      if (this.runs.size === 0) return;
      deps.ledger.renew([...this.runs.keys()]).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not renew inline run leases'));
    }, Math.max(100, Math.floor(deps.ledger.leaseMs / 3)));
    this.renewal.unref();
  }

  get size(): number {
    return this.runs.size;
  }

  /**
   * Whether this gateway runs `target` itself now: a plain call whose every candidate is a remote provider (a
   * local model, or a fallback to one, needs a worker), with room left.
   */
  accepts(target: RunTarget): boolean {
    if (this.runs.size >= this.max || target.agent || target.pipeline || target.candidates.length === 0) return false;
    const { providers } = this.deps.config;
    return target.candidates.every((c) => providers.find((p) => p.name === c.provider)?.type === 'openai-compatible');
  }


  /** Aborts a run this gateway holds; false when it holds none by that id. */
  cancel(runId: string, reason: string): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    run.abort.abort(reason);
    return true;
  }

  /**
   * Starts the run. Resolves once the run is durable (its job and lease are in Redis), with the call to the
   * provider already under way; `deliver` then gets every event as it is written. Rejects with an
   * InlineOpenError when Redis refused the job, before anything was delivered.
   */
  async start(job: ChatRunJob, target: RunTarget, deliver: (seq: number, event: RunEvent) => void, hit: CachedAnswer | null = null): Promise<void> {
    const { config, redis, urgent, keys, ledger } = this.deps;
    const abort = new AbortController();
    claimConversation(job);
    const writer = new RunEventWriter(redis, keys, job.runId, 0, config.queue.events_ttl_seconds, null, config.server.stream_coalesce_ms, deliver, urgent);
    const state = newRunState(job.request.model);
    state.provider = target.provider;
    state.model = target.model;
    const run: InlineRun = { job, abort, done: Promise.resolve() };
    this.runs.set(job.runId, run);
    // Stored on the next microtask, after execute's synchronous start has sent the provider call and queued the
    // start event: job, lease and start event leave in one pipelined write, well before the first content can.
    // Resolves with the error when Redis refused it, else null.
    const opened = Promise.resolve()
      .then(() => ledger.open(job))
      .then(
        () => null,
        (error: unknown) => error,
      );
    run.done = this.execute(run, target, writer, state, opened, hit).finally(() => this.runs.delete(job.runId));
    const failure = await opened;
    if (failure) {
      abort.abort(failure);
      this.deps.logger.error({ err: failure, runId: job.runId }, 'could not store an inline run');
      throw new InlineOpenError('The queue (Redis) is unavailable; try again shortly.', { cause: failure });
    }
  }

  /** Stops taking runs; those still going are handed to the queue (through their leases) and waited for. */
  async close(): Promise<void> {
    clearInterval(this.renewal);
    const left = [...this.runs.values()];
    for (const run of left) run.abort.abort(GATEWAY_SHUTDOWN);
    await Promise.all(left.map((r) => r.done));
  }

  private async execute(
    run: InlineRun,
    target: RunTarget,
    writer: RunEventWriter,
    state: RunState,
    opened: Promise<unknown>,
    hit: CachedAnswer | null,
  ): Promise<void> {
    const { job, abort } = run;
    const { config, registry, router, cache, ledger } = this.deps;
    const logger = this.deps.logger.child({ runId: job.runId });
    const emit = (event: RunEvent): void => writer.append(event);
    // A gateway's run is its first attempt, never an agent's, never in the background.
    const host: RunHost = {
      attempt: 1,
      logger,
      emit,
      flush: () => writer.flush(),
      // If this fails the lease stays: a worker takes the run over, finds it finished, and records it.
      record: (o) => ledger.close(job.runId, encodeRunRecord(job, o)).catch((error: unknown) => logger.warn({ err: error }, 'could not queue the record of an inline run')),
      takeOver: async (error) => {
        // It never began (the client was told 503), or a worker took it over meanwhile and owns it now.
        if ((await opened) || error instanceof RunFencedError) return true;
        if (writer.failed) {
          abort.abort(error); // stop the provider call: its answer can no longer be written
          await this.handOffWhenRedisIsBack(job, error);
          return true;
        }
        if (abort.signal.aborted && abort.signal.reason === GATEWAY_SHUTDOWN) {
          await writer.flush().catch(() => undefined);
          await ledger.release([job.runId]).catch(() => undefined);
          logger.info('gateway closing: the run goes to a worker');
          return true;
        }
        return false;
      },
      terminalWriteFailed: async (error) => {
        await this.handOffWhenRedisIsBack(job, error);
        return true;
      },
    };
    await runLifecycle({ config, cache, limits: router.limits }, host, job, state, abort.signal, {
      execute: async () => {
        if (hit) replayCached(hit, state, emit);
        else await streamModel(registry, router.model(target.candidates, observeRoute(state, emit)), callOptions(job, abort.signal), '', state, emit);
      },
    });
  }

  /** The run becomes a queued job that continues from its events (a worker's first attempt is its second). */
  private async handOff(job: ChatRunJob): Promise<void> {
    await this.deps.runQueue.enqueueChat({ ...job, handoff: true });
    await this.deps.ledger.drop(job.runId);
  }

  /**
   * Redis failed under the run: its events can no longer be written, so the answer cannot go on here. Once
   * Redis answers again the run goes to the queue and a worker continues it from the events that landed (the
   * client's stream, which waits out the outage, follows). Should Redis stay away past the lease, a worker
   * takes it over through the lease instead.
   */
  private async handOffWhenRedisIsBack(job: ChatRunJob, cause: unknown): Promise<void> {
    const { redis, keys, ledger, logger } = this.deps;
    logger.warn({ err: cause, runId: job.runId }, 'lost Redis during an inline run; it goes to a worker once Redis is back');
    const deadline = Date.now() + ledger.leaseMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if (redis.status !== 'ready') continue;
      try {
        // A Redis that came back without its data lost the run's events: a worker could only start it over
        // under ids its client has already seen. Its client is told `run_lost` (RunEventHub) instead.
        if ((await redis.exists(keys.runJobData(job.runId))) === 0) {
          logger.warn({ runId: job.runId }, 'Redis came back without this inline run; it is lost');
          return;
        }
        await this.handOff(job);
        return;
      } catch {
        // Not back yet.
      }
    }
  }
}
