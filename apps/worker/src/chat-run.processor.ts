import {
  type ChatRunJob,
  chatRunJobSchema,
  type ModelCatalog,
  type RunEvent,
  type RunNotification,
  type SwitchboardConfig,
  terminalEventTypes,
  type Usage,
} from '@switchboard/contracts';
import { emptyUsage } from '@switchboard/providers';
import { readRunEvents, type Redis, type RedisKeys, RunEventWriter, RunFencedError } from '@switchboard/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { runAgent } from './agent-run.js';
import { runPipelineTarget } from './pipeline-run.js';
import {
  callOptions,
  claimConversation,
  type ModelRouter,
  newRunState,
  observeRoute,
  PipelineInterrupted,
  type ProviderRegistry,
  type ResponseCache,
  pipelineTarget,
  resolveAgentTarget,
  resolveTarget,
  type RunHost,
  runLifecycle,
  type RunOutcome,
  runOutcome,
  type RunTarget,
  streamModel,
} from '@switchboard/runs';
import type { RunLiveness } from './run-liveness.js';
import type { RunRecorder } from './run-recorder.js';

/** Where run notifications go (socket.io through Redis); best effort, never throws. */
export interface Notifier {
  notify(notification: RunNotification): void;
}

/** The abort reason a draining worker gives its remaining runs. */
export const WORKER_SHUTDOWN = 'worker shutting down';

export interface ChatRunDeps {
  config: SwitchboardConfig;
  catalog: ModelCatalog;
  registry: ProviderRegistry;
  router: ModelRouter;
  cache: ResponseCache;
  recorder: RunRecorder | null;
  /** Start rows and heartbeats in the database (null without persistence). */
  liveness: RunLiveness | null;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** Runs this process holds, so a cancel message can abort the right one. */
  active: Map<string, AbortController>;
  /** Runs of `active` that went to the background: a client disconnecting no longer cancels them. */
  backgrounded: Set<string>;
  notifier: Notifier | null;
}

/**
 * Runs one chat completion on a worker: the shared run lifecycle (libs/runs runLifecycle) with what is the
 * worker's own: continuing what earlier attempts streamed, agents and pipelines, background runs and their
 * notifications, heartbeats, and handing the job back to BullMQ when the worker shuts down.
 */
export async function processChatRun(deps: ChatRunDeps, job: Job<ChatRunJob>, signal?: AbortSignal): Promise<void> {
  const { config, redis, keys, logger } = deps;
  const parsed = chatRunJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid run.chat payload: ${parsed.error.message}`);
  const data = parsed.data;
  // A stalled job (its worker died) comes back without attemptsMade moving; attemptsStarted counts every start.
  // A run a gateway handed over had its first attempt there.
  const attempt = Math.max(job.attemptsMade + 1, job.attemptsStarted) + (data.handoff ? 1 : 0);
  const log = logger.child({ runId: data.runId, jobId: job.id, attempt });
  // A retry (worker crash, provider failure) continues what earlier attempts streamed: never repeat, never lose.
  const earlier = attempt > 1 ? await readRunEvents(redis, keys, data.runId, 0) : [];
  const lastSeq = earlier.at(-1)?.seq ?? 0;
  const writer = new RunEventWriter(
    redis,
    keys,
    data.runId,
    lastSeq,
    config.queue.events_ttl_seconds,
    data.replyTo,
    config.server.stream_coalesce_ms,
  );

  const abort = new AbortController();
  deps.active.set(data.runId, abort);
  const onBullAbort = (): void => abort.abort(signal?.reason ?? 'cancelled');
  signal?.addEventListener('abort', onBullAbort, { once: true });

  const state = newRunState(data.request.model);
  // Agent runs notify their owner, so they need the conversation's id before the database has assigned one.
  // The same on every attempt (the run's own id), so a retried run lands where its notifications said.
  // A conversation id the client sent is not announced before the database has checked it is the client's:
  // notifications would otherwise reach the room of someone else's conversation.
  const ownConversation = claimConversation(data);
  // Off the hot path: queued and batched; only the final record below waits for it.
  deps.liveness?.start({ id: data.runId, apiKeyId: data.apiKeyId, requestedModel: data.request.model, attempt, startedAt: state.startedAt });
  const record = async (o: RunOutcome): Promise<void> => {
    await deps.liveness?.settled(data.runId);
    await deps.recorder?.record(data, o);
  };
  const prior = replay(earlier.map((e) => e.event));
  state.text = prior.text;
  state.background = prior.backgrounded;
  let notifies = false;
  const notify = (type: RunNotification['type'], extra: Partial<RunNotification> = {}): void => {
    if (!notifies || !deps.notifier) return;
    deps.notifier.notify({
      type,
      runId: data.runId,
      conversationId: ownConversation ? data.conversationId : null,
      apiKeyId: data.apiKeyId,
      status: type === 'run.completed' ? 'succeeded' : type === 'run.failed' ? 'failed' : state.background ? 'background' : 'running',
      agent: state.agentName,
      // Every open tab of the owner toasts a background run's end, also those opened after run.backgrounded.
      ...(type === 'run.completed' || type === 'run.failed' ? { background: state.background } : {}),
      at: new Date().toISOString(),
      ...extra,
    });
  };

  // Events of a run in the background still go into its stream (its client's stream ended at `background`):
  // a retry after a crash continues from them, and a reader resuming after `background` can follow the run.
  const emit = (event: RunEvent): void => writer.append(event);
  const goBackground = (message: string): void => {
    emit({ t: 'background', message });
    state.background = true;
    deps.backgrounded.add(data.runId);
    writer.flush().catch((e: unknown) => log.warn({ err: e }, 'could not write the background event'));
    deps.liveness?.markBackground(data.runId);
    notify('run.backgrounded', { message: message.trim() });
    log.info('run moved to the background');
  };
  const outcome = (status: RunOutcome['status'], error: string | null): RunOutcome => runOutcome(state, attempt, status, error);

  const host: RunHost = {
    attempt,
    logger: log,
    emit,
    flush: () => writer.flush(),
    record,
    takeOver: async (error) => {
      if (error instanceof RunFencedError) {
        log.warn('another attempt owns this run now; stopping');
        throw new UnrecoverableError(error.message);
      }
      if (abort.signal.aborted && abort.signal.reason === WORKER_SHUTDOWN) {
        // Not the client's wish: hand the run back so another worker continues it from the last event.
        await writer.flush().catch(() => undefined);
        throw new Error('worker shut down during the run', { cause: error });
      }
      return false;
    },
  };

  try {
    if (prior.finished) {
      // The answer was complete and delivered; only recording it failed last time.
      state.provider = prior.provider;
      state.model = prior.model;
      state.usage = prior.usage;
      state.finishReason = prior.finishReason;
      await record(outcome(prior.failed ? 'failed' : 'succeeded', prior.error));
      // Its owner was promised a notification when a background run ends.
      notifies = prior.backgrounded;
      if (prior.failed) notify('run.failed', { error: prior.error ?? 'failed' });
      else notify('run.completed', { text: state.text, conversationId: await recordedConversation(deps, data, ownConversation) });
      return;
    }
    let target!: RunTarget;
    const prepare = (): void => {
      // A pipeline or agent brings its definition (as the gateway resolved it); everything else is named by model.
      target = data.pipeline
        ? pipelineTarget(data.pipeline)
        : data.agent
          ? resolveAgentTarget(deps.config, deps.catalog, data.agent)
          : resolveTarget(deps.config, deps.catalog, data.request.model, data.request);
      state.provider = target.provider;
      state.model = target.model;
      state.agentName = target.agent?.name ?? null;
      if (state.background) {
        deps.backgrounded.add(data.runId);
        deps.liveness?.markBackground(data.runId);
      }
    };
    const execute = async (): Promise<void> => {
      const options = callOptions(data, abort.signal);
      if (target.agent) {
        notifies = true;
        notify('run.started');
        const { messages, tools: clientTools = [], abortSignal: _signal, ...call } = options;
        await runAgent(deps, {
          runId: data.runId,
          agent: target.agent,
          candidates: target.candidates,
          messages,
          prefix: prior.text,
          call,
          clientTools,
          signal: abort.signal,
          background: state.background,
          acceptedAt: job.timestamp,
          state,
          emit: {
            text: (d) => emit({ t: 'text', d }),
            progress: (d) => {
              emit({ t: 'reasoning', d });
              if (state.background) notify('run.progress', { message: d.trim() });
            },
            tool: (p) => emit({ t: 'tool', i: p.index, id: p.id, name: p.name, args: p.argumentsDelta }),
          },
          goBackground,
          notify,
        });
        emit({ t: 'finish', reason: state.finishReason as 'stop', usage: state.usage });
      } else if (target.pipeline) {
        // A pipeline's answer is made anew on every attempt: continuing one that had streamed would repeat or mix.
        if (prior.text) throw new PipelineInterrupted();
        notifies = true;
        notify('run.started');
        await runPipelineTarget(deps, {
          pipeline: target.pipeline,
          messages: options.messages,
          signal: abort.signal,
          state,
          emit: { text: (d) => emit({ t: 'text', d }), progress: (d) => emit({ t: 'reasoning', d }) },
        });
        emit({ t: 'finish', reason: state.finishReason as 'stop', usage: state.usage });
      } else {
        await streamModel(deps.registry, deps.router.model(target.candidates, observeRoute(state, emit)), options, prior.text, state, emit);
      }
    };
    // The router already retried and fell back (auto_pick.max_retries, fallbacks): a failure it reports is
    // final. BullMQ's own attempts are for a worker that died or shut down mid-run (see host.takeOver).
    const end = await runLifecycle({ config, cache: deps.cache, limits: deps.router.limits }, host, data, state, abort.signal, { prepare, execute });
    const conversationId = await recordedConversation(deps, data, ownConversation);
    if (end.status === 'succeeded') {
      notify('run.completed', { text: state.text, conversationId });
    } else if (end.status === 'failed' || end.status === 'cancelled') {
      notify('run.failed', { error: end.error ?? 'failed', status: end.status, conversationId });
      if (end.status === 'failed') throw new UnrecoverableError(end.error ?? 'failed');
    }
  } finally {
    deps.active.delete(data.runId);
    deps.backgrounded.delete(data.runId);
    deps.liveness?.end(data.runId);
    signal?.removeEventListener('abort', onBullAbort);
  }
}

/** The conversation a recorded run landed in (an external id resolves only when the run is written). */
async function recordedConversation(deps: ChatRunDeps, data: ChatRunJob, own: boolean): Promise<string | null> {
  if (own) return data.conversationId;
  if (!deps.recorder) return null;
  // The database decided: the client's conversation if it is theirs, else a new one of their own.
  return deps.recorder.runConversation(data.runId).catch(() => null);
}

interface Replayed {
  text: string;
  finished: boolean;
  /** An earlier attempt moved the run to the background (its client's stream has ended). */
  backgrounded: boolean;
  failed: boolean;
  error: string | null;
  provider: string;
  model: string;
  usage: Usage;
  finishReason: string | null;
}

/** What earlier attempts of a run already streamed, rebuilt from its events. */
function replay(events: RunEvent[]): Replayed {
  const r: Replayed = { text: '', finished: false, backgrounded: false, failed: false, error: null, provider: 'none', model: '', usage: emptyUsage(), finishReason: null };
  for (const e of events) {
    switch (e.t) {
      case 'start':
        r.provider = e.provider;
        r.model = e.model;
        break;
      case 'text':
        r.text += e.d;
        break;
      case 'finish':
        r.usage = e.usage;
        r.finishReason = e.reason;
        break;
      case 'error':
        r.failed = true;
        r.error = e.message;
        break;
      case 'background':
        r.backgrounded = true;
        continue;
      case 'route':
        r.provider = e.provider;
        r.model = e.model;
        break;
      case 'reasoning':
      case 'tool':
        break;
    }
    if (terminalEventTypes.has(e.t)) r.finished = true;
  }
  return r;
}

