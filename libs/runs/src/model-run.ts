import { PipelineError } from '@switchboard/agents';
import type { ChatRunJob, RateWindow, RunEvent } from '@switchboard/contracts';
import { type CallOptions, ProviderError } from '@switchboard/providers';
import { RouteError } from './model-router.js';
import type { ProviderRegistry } from './provider-registry.js';
import { markOutput, type RunState } from './run-state.js';
import type { CachedAnswer, ResponseCache } from './routing/response-cache.js';
import type { RateLimits } from './routing/rate-limits.js';
import type { Logger } from 'pino';
import { NoTargetAvailableError, type RoutedModel } from './routing/routed-model.js';

/**
 * Running a plain model call, shared by the two places that run one: a worker (any run from the queue) and a
 * gateway (the plain remote calls it runs itself, see apps/gateway/src/inline-runs.ts).
 */

/** A plain model call (no agent), through the router: its parts go straight into the run's events. */
export async function streamModel(
  registry: ProviderRegistry,
  model: RoutedModel,
  options: CallOptions,
  priorText: string,
  state: RunState,
  emit: (event: RunEvent) => void,
): Promise<void> {
  // A retried run continues what its earlier attempts streamed: the router asks each target its own way.
  const { stream } = model.streamFrom(options, priorText);
  const toolCalls = state.toolCalls;
  for await (const part of stream) {
    switch (part.type) {
      case 'text-delta':
        markOutput(state);
        state.text += part.delta;
        emit({ t: 'text', d: part.delta });
        break;
      case 'tool-call-delta': {
        markOutput(state);
        let call = toolCalls[part.index];
        if (!call) call = toolCalls[part.index] = { id: part.id ?? '', type: 'function', function: { name: part.name ?? '', arguments: '' } };
        if (part.id) call.id = part.id;
        if (part.name) call.function.name = part.name;
        call.function.arguments += part.argumentsDelta ?? '';
        emit({ t: 'tool', i: part.index, id: part.id, name: part.name, args: part.argumentsDelta });
        break;
      }
      case 'finish':
        state.usage = part.usage;
        // Priced by whoever answered (state.provider/model follow the router, see observeRoute).
        state.cost = registry.price(state.provider, state.model, part.usage);
        state.finishReason = part.finishReason;
        emit({ t: 'finish', reason: part.finishReason, usage: part.usage });
        break;
      case 'error':
        throw part.error;
    }
  }
  if (state.finishReason === null) {
    state.finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    emit({ t: 'finish', reason: state.finishReason as 'stop' | 'tool_calls', usage: state.usage });
  }
}

/** A cache hit as a run: the stored answer, marked as cached, at no cost. */
export function replayCached(answer: CachedAnswer, state: RunState, emit: (event: RunEvent) => void): void {
  state.provider = answer.provider;
  state.model = answer.model;
  state.cached = true;
  state.attempts.push({
    provider: answer.provider,
    model: answer.model,
    outcome: 'ok',
    error: null,
    latencyMs: 0,
    ttftMs: 0,
    usage: answer.usage,
    cached: true,
    continued: false,
  });
  emit({ t: 'route', provider: answer.provider, model: answer.model, cached: true });
  markOutput(state);
  state.text = answer.text;
  state.usage = answer.usage;
  state.finishReason = answer.finishReason;
  emit({ t: 'text', d: answer.text });
  emit({ t: 'finish', reason: answer.finishReason, usage: answer.usage });
}

/**
 * After a whole answer, on whichever host ran it: keep it in the response cache (when the gateway said it may
 * be), and count its tokens against the key's token limit. Best effort: neither may hold the run up.
 */
export function settleAnswer(
  deps: { cache: ResponseCache; limits: RateLimits; tokenLimits: readonly RateWindow[] | undefined; logger: Logger },
  job: ChatRunJob,
  state: RunState,
): void {
  const answer = job.cacheKey ? cacheableAnswer(state) : null;
  if (job.cacheKey && answer) deps.cache.store(job.cacheKey, answer).catch((e: unknown) => deps.logger.warn({ err: e, runId: job.runId }, 'could not store a cached answer'));
  if (job.tokenSubject && deps.tokenLimits) deps.limits.addTokens(job.tokenSubject, deps.tokenLimits, state.usage.total_tokens).catch(() => undefined);
}

/** What a finished plain run leaves in the cache: a whole text answer (no tool calls, not cut by length). */
export function cacheableAnswer(state: RunState): CachedAnswer | null {
  if (state.cached || state.finishReason !== 'stop' || state.toolCalls.length || !state.text) return null;
  return { text: state.text, finishReason: 'stop', usage: state.usage, provider: state.provider, model: state.model, storedAt: Date.now() };
}

/** A pipeline's worker died after its answer had started streaming; a new attempt cannot continue it. */
export class PipelineInterrupted extends Error {
  override readonly name = 'PipelineInterrupted';
  constructor() {
    super('The pipeline was interrupted after its answer had started (its worker stopped); ask again.');
  }
}

export function describeFailure(error: unknown, cancelled: boolean): { status: number; message: string; type: string; code: string | null } {
  if (cancelled) return { status: 499, message: 'The run was cancelled.', type: 'cancelled', code: 'cancelled' };
  if (error instanceof RouteError) return { status: 404, message: error.message, type: 'invalid_request_error', code: 'model_not_found' };
  if (error instanceof PipelineInterrupted) return { status: 500, message: error.message, type: 'server_error', code: 'run_interrupted' };
  if (error instanceof PipelineError) {
    const cause = error.cause instanceof ProviderError ? describeFailure(error.cause, false) : null;
    return { status: cause?.status ?? 500, message: error.message, type: cause?.type ?? 'server_error', code: cause?.code ?? 'pipeline_failed' };
  }
  if (error instanceof ProviderError) {
    const status = error.details.status ?? 502;
    if (error instanceof NoTargetAvailableError) {
      return { status: 503, message: error.message, type: 'service_unavailable', code: 'provider_unavailable' };
    }
    return {
      status: status >= 500 || status === 429 ? 502 : status,
      message: `Provider \`${error.details.provider}\` failed: ${error.message}`,
      type: status === 400 ? 'invalid_request_error' : 'upstream_error',
      code: error.details.isRetryable ? 'provider_unavailable' : 'provider_error',
    };
  }
  return { status: 500, message: 'The worker failed while running this request.', type: 'server_error', code: 'internal_error' };
}

export function callOptions(data: ChatRunJob, abortSignal: AbortSignal): CallOptions {
  const r = data.request;
  const options: CallOptions = { messages: r.messages, abortSignal };
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
