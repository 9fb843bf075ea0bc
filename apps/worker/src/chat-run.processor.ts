import {
  type ChatRunJob,
  chatRunJobSchema,
  type ModelCatalog,
  type RunEvent,
  type SwitchboardConfig,
  terminalEventTypes,
  type ToolCall,
  type Usage,
} from '@switchboard/contracts';
import { type CallOptions, emptyUsage, ProviderError } from '@switchboard/providers';
import { readRunEvents, type Redis, type RedisKeys, RunEventWriter, RunFencedError } from '@switchboard/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { resolveTarget, RouteError } from './model-router.js';
import type { ProviderRegistry } from './provider-registry.js';
import type { RunLiveness } from './run-liveness.js';
import type { RunOutcome, RunRecorder } from './run-recorder.js';

/** The abort reason a draining worker gives its remaining runs. */
export const WORKER_SHUTDOWN = 'worker shutting down';

export interface ChatRunDeps {
  config: SwitchboardConfig;
  catalog: ModelCatalog;
  registry: ProviderRegistry;
  recorder: RunRecorder | null;
  /** Start rows and heartbeats in the database (null without persistence). */
  liveness: RunLiveness | null;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** Runs this process holds, so a cancel message can abort the right one. */
  active: Map<string, AbortController>;
}

/**
 * Runs one chat completion: resolve the model, stream its parts into the run's events, record the result.
 * Failures end the run with a terminal `error` event (so no client waits forever) unless BullMQ will retry it
 * and nothing has been streamed yet.
 */
export async function processChatRun(deps: ChatRunDeps, job: Job<ChatRunJob>, signal?: AbortSignal): Promise<void> {
  const { config, redis, keys, logger } = deps;
  const parsed = chatRunJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid run.chat payload: ${parsed.error.message}`);
  const data = parsed.data;
  // A stalled job (its worker died) comes back without attemptsMade moving; attemptsStarted counts every start.
  const attempt = Math.max(job.attemptsMade + 1, job.attemptsStarted);
  const retriesLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
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

  const startedAt = new Date();
  // Off the hot path: queued and batched; only the final record below waits for it.
  deps.liveness?.start({ id: data.runId, apiKeyId: data.apiKeyId, requestedModel: data.request.model, attempt, startedAt });
  const record = async (o: RunOutcome): Promise<void> => {
    await deps.liveness?.settled(data.runId);
    await deps.recorder?.record(data, o);
  };
  const prior = replay(earlier.map((e) => e.event));
  let text = prior.text;
  const toolCalls: ToolCall[] = [];
  let usage: Usage = emptyUsage();
  let finishReason: string | null = null;
  let ttftMs: number | null = null;
  let provider = 'none';
  let model = data.request.model;
  let agentName: string | null = null;
  let streamed = false;

  const emit = (event: RunEvent): void => {
    writer.append(event);
  };
  const outcome = (status: RunOutcome['status'], error: string | null): RunOutcome => ({
    status,
    provider,
    model,
    agentName,
    attempt,
    text,
    toolCalls,
    finishReason,
    usage,
    error,
    startedAt,
    latencyMs: Date.now() - startedAt.getTime(),
    ttftMs,
  });

  try {
    if (prior.finished) {
      // The answer was complete and delivered; only recording it failed last time.
      ({ provider, model, usage, finishReason } = prior);
      await record(outcome(prior.failed ? 'failed' : 'succeeded', prior.error));
      return;
    }
    const target = resolveTarget(config, deps.catalog, data.request.model);
    provider = target.provider;
    model = target.model;
    agentName = target.agent?.name ?? null;
    const languageModel = deps.registry.get(target.provider, target.model);
    emit({ t: 'start', provider, model, attempt });
    const options = callOptions(data, target.agent?.system_prompt, abort.signal);
    // The partial answer goes back as a trailing assistant message, which llama.cpp, vLLM and most OpenAI-
    // compatible servers treat as a prefix to continue from.
    if (prior.text) options.messages = [...options.messages, { role: 'assistant', content: prior.text }];
    const { stream } = await languageModel.doStream(options);
    for await (const part of stream) {
      switch (part.type) {
        case 'text-delta':
          if (ttftMs === null) ttftMs = Date.now() - startedAt.getTime();
          streamed = true;
          text += part.delta;
          emit({ t: 'text', d: part.delta });
          break;
        case 'tool-call-delta': {
          if (ttftMs === null) ttftMs = Date.now() - startedAt.getTime();
          streamed = true;
          let call = toolCalls[part.index];
          if (!call) call = toolCalls[part.index] = { id: part.id ?? '', type: 'function', function: { name: part.name ?? '', arguments: '' } };
          if (part.id) call.id = part.id;
          if (part.name) call.function.name = part.name;
          call.function.arguments += part.argumentsDelta ?? '';
          emit({ t: 'tool', i: part.index, id: part.id, name: part.name, args: part.argumentsDelta });
          break;
        }
        case 'finish':
          usage = part.usage;
          finishReason = part.finishReason;
          emit({ t: 'finish', reason: part.finishReason, usage: part.usage });
          break;
        case 'error':
          throw part.error;
      }
    }
    if (finishReason === null) {
      finishReason = toolCalls.length ? 'tool_calls' : 'stop';
      emit({ t: 'finish', reason: finishReason as 'stop' | 'tool_calls', usage });
    }
    await writer.flush();
    await record(outcome('succeeded', null));
  } catch (error) {
    if (error instanceof RunFencedError) {
      log.warn('another attempt owns this run now; stopping');
      throw new UnrecoverableError(error.message);
    }
    if (abort.signal.aborted && abort.signal.reason === WORKER_SHUTDOWN) {
      // Not the client's wish: hand the run back so another worker continues it from the last event.
      await writer.flush().catch(() => undefined);
      throw new Error('worker shut down during the run', { cause: error });
    }
    const cancelled = abort.signal.aborted;
    const retryable = !cancelled && error instanceof ProviderError && error.details.isRetryable;
    if (retryable && !streamed && retriesLeft) {
      log.warn({ err: error }, 'provider failed before answering; the run will be retried');
      await writer.flush().catch(() => undefined);
      throw error;
    }
    const failure = describeFailure(error, cancelled);
    log[cancelled ? 'info' : 'error']({ err: cancelled ? undefined : error, code: failure.code }, 'run ended without an answer');
    try {
      emit({ t: 'error', ...failure });
      await writer.flush();
    } catch (writeError) {
      log.error({ err: writeError }, 'could not write the terminal event');
    }
    await record(outcome(cancelled ? 'cancelled' : 'failed', failure.message)).catch((e: unknown) => {
      log.error({ err: e }, 'could not record the failed run');
    });
    if (!cancelled) throw new UnrecoverableError(failure.message);
  } finally {
    deps.active.delete(data.runId);
    deps.liveness?.end(data.runId);
    signal?.removeEventListener('abort', onBullAbort);
  }
}

interface Replayed {
  text: string;
  finished: boolean;
  failed: boolean;
  error: string | null;
  provider: string;
  model: string;
  usage: Usage;
  finishReason: string | null;
}

/** What earlier attempts of a run already streamed, rebuilt from its events. */
function replay(events: RunEvent[]): Replayed {
  const r: Replayed = { text: '', finished: false, failed: false, error: null, provider: 'none', model: '', usage: emptyUsage(), finishReason: null };
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
      case 'reasoning':
      case 'tool':
      case 'background':
        break;
    }
    if (terminalEventTypes.has(e.t)) r.finished = true;
  }
  return r;
}

function describeFailure(error: unknown, cancelled: boolean): { status: number; message: string; type: string; code: string | null } {
  if (cancelled) return { status: 499, message: 'The run was cancelled.', type: 'cancelled', code: 'cancelled' };
  if (error instanceof RouteError) return { status: 404, message: error.message, type: 'invalid_request_error', code: 'model_not_found' };
  if (error instanceof ProviderError) {
    const status = error.details.status ?? 502;
    return {
      status: status >= 500 || status === 429 ? 502 : status,
      message: `Provider \`${error.details.provider}\` failed: ${error.message}`,
      type: status === 400 ? 'invalid_request_error' : 'upstream_error',
      code: error.details.isRetryable ? 'provider_unavailable' : 'provider_error',
    };
  }
  return { status: 500, message: 'The worker failed while running this request.', type: 'server_error', code: 'internal_error' };
}

function callOptions(data: ChatRunJob, systemPrompt: string | undefined, abortSignal: AbortSignal): CallOptions {
  const r = data.request;
  const messages = systemPrompt ? [{ role: 'system' as const, content: systemPrompt }, ...r.messages] : r.messages;
  const options: CallOptions = { messages, abortSignal };
  const maxTokens = r.max_completion_tokens ?? r.max_tokens;
  if (maxTokens != null) options.maxTokens = maxTokens;
  if (r.temperature != null) options.temperature = r.temperature;
  if (r.top_p != null) options.topP = r.top_p;
  if (r.stop != null) options.stop = typeof r.stop === 'string' ? [r.stop] : r.stop;
  if (r.seed != null) options.seed = r.seed;
  if (r.presence_penalty != null) options.presencePenalty = r.presence_penalty;
  if (r.frequency_penalty != null) options.frequencyPenalty = r.frequency_penalty;
  if (r.tools?.length) options.tools = r.tools;
  if (r.tool_choice != null) options.toolChoice = r.tool_choice;
  if (r.response_format != null) options.responseFormat = r.response_format;
  return options;
}
