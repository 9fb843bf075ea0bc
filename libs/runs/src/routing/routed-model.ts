import type { AutoPickConfig, ChatMessage, Usage } from '@switchboard/contracts';
import {
  emptyUsage,
  ProviderError,
  type CallOptions,
  type GenerateResult,
  type LanguageModel,
  type StreamPart,
  type StreamResult,
} from '@switchboard/providers';

/** One model of one provider that a call may go to. */
export interface RouteCandidate {
  provider: string;
  model: string;
}

/** One try of one candidate, as the run lists it (`GET /api/runs/:id`, ProviderCall rows). */
export interface RouteAttempt {
  provider: string;
  model: string;
  outcome: 'ok' | 'error' | 'aborted' | 'skipped';
  /** Why it failed, or why it was skipped. */
  error: string | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: Usage;
  cached: boolean;
  /** It continued an answer another attempt had started. */
  continued: boolean;
}

/** What a host learns while a routed call runs. */
export interface RouteObserver {
  /** `candidate` produced its first part: the answer comes from it from here on (a fallback, or the first try). */
  serving?(candidate: RouteCandidate): void;
  attempt?(attempt: RouteAttempt): void;
}

/** Why a candidate is not tried now; null: try it (`probe`: as the one probe of a half-open circuit). */
export type Gate =
  /** `error`: the failure to report for this candidate instead of a retryable 503 (a missing model file: 404). */
  | { skip: string; retryAfterMs?: number; error?: ProviderError }
  | { skip: null; probe: boolean };

/** What the router gives each routed call: its models, its checks, and where outcomes go. */
export interface RouteServices {
  autoPick: AutoPickConfig;
  model(candidate: RouteCandidate): LanguageModel;
  /** A promise only when Redis must be asked (see ModelRouter.gate). */
  gate(candidate: RouteCandidate): Gate | Promise<Gate>;
  /** How a partial answer is continued on this candidate. */
  continuation(candidate: RouteCandidate): 'prefill' | 'instruct';
  succeeded(candidate: RouteCandidate, usage: Usage, probe: boolean): void;
  /** A failure that says the provider is unwell (not an abort, not the caller's 400). */
  failed(candidate: RouteCandidate, error: ProviderError): void;
}

const CONTINUE_PROMPT =
  'Your previous answer was cut off. Continue it exactly from where it stopped, without repeating anything and without any preamble.';

/** Overlaps shorter than this are taken as chance (an answer may well repeat its last letters). */
const MIN_OVERLAP = 4;

/**
 * A LanguageModel over an ordered list of candidates (`auto_pick.priority`, an agent's model and fallbacks,
 * a request's `models`): the router as middleware, so a plain run, an agent's steps and a pipeline's stages
 * all get the same behaviour without knowing about it.
 *
 * - A candidate that is disabled, circuit-open, over its rate limit, down by its health probe or missing its
 *   model file is skipped.
 * - Before any part has streamed, a retryable failure (408, 409, 429, 5xx, timeouts, connection errors) is
 *   retried on the same candidate `auto_pick.max_retries` times, with exponential backoff and jitter, waiting at
 *   least what Retry-After asks; a non-retryable one (400, 401, 403, 404) moves on at once.
 * - After text has streamed, a failure (cut, stall past idle_timeout_ms, malformed chunk) continues on the next
 *   candidate from the partial answer, so the text reads as one answer; with no next candidate the stream
 *   ends with the error, never with a truncated `stop`. A stream that had started a tool call is not continued.
 */
export class RoutedModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;

  constructor(
    private readonly candidates: readonly RouteCandidate[],
    private readonly services: RouteServices,
    private readonly observer: RouteObserver = {},
  ) {
    if (candidates.length === 0) throw new Error('a routed model needs at least one candidate');
    this.provider = candidates[0]!.provider;
    this.modelId = candidates[0]!.model;
  }

  doStream(options: CallOptions): Promise<StreamResult> {
    return Promise.resolve({ stream: this.route(options, '') });
  }

  /** Streams the continuation of `prefix` (an answer an earlier attempt of the run had started). */
  streamFrom(options: CallOptions, prefix: string): StreamResult {
    return { stream: this.route(options, prefix) };
  }

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    const deadline = Date.now() + this.services.autoPick.timeout_ms;
    const failures: Failure[] = [];
    for await (const { candidate, gate } of this.admitted(failures)) {
      for (let retry = 0; ; retry++) {
        const started = Date.now();
        try {
          const result = await this.services.model(candidate).doGenerate(options);
          this.observer.serving?.(candidate);
          this.record(candidate, 'ok', null, started, null, result.usage, false);
          this.services.succeeded(candidate, result.usage, gate.probe);
          return result;
        } catch (error) {
          const e = asProviderError(error, candidate);
          this.recordFailure(candidate, e, started, null, false);
          failures.push({ candidate, error: e });
          if (e.details.isAbort) throw e;
          if (!(await this.shouldRetry(e, retry, deadline, options.abortSignal))) break;
        }
      }
    }
    throw finalError(failures);
  }

  private async *route(options: CallOptions, initialPrefix: string): AsyncGenerator<StreamPart> {
    const { autoPick } = this.services;
    const deadline = Date.now() + autoPick.timeout_ms;
    const failures: Failure[] = [];
    /** The answer so far, of this call: what a fallback continues. */
    let answer = initialPrefix;
    let sawToolCall = false;
    for (const candidate of this.candidates) {
      // Awaited only when it is a promise: on the common path the request below leaves in this very turn.
      const pending = this.services.gate(candidate);
      const gate = pending instanceof Promise ? await pending : pending;
      if (gate.skip !== null) {
        failures.push(this.skipped(candidate, gate.skip, gate.retryAfterMs, gate.error));
        continue;
      }
      for (let retry = 0; ; retry++) {
        const started = Date.now();
        const continuing = answer.length > 0;
        const mode = continuing ? this.services.continuation(candidate) : 'prefill';
        let ttft: number | null = null;
        let produced = false;
        const trim = continuing && mode === 'instruct' ? new OverlapTrimmer(answer) : null;
        let failure: ProviderError | undefined;
        try {
          const messages = continuing ? continuationMessages(options.messages, answer, mode) : options.messages;
          const { stream } = await this.services.model(candidate).doStream({ ...options, messages });
          for await (const part of stream) {
            if (part.type === 'error') {
              failure = part.error;
              break;
            }
            if (!produced && part.type !== 'finish') {
              produced = true;
              ttft = Date.now() - started;
              this.observer.serving?.(candidate);
            }
            switch (part.type) {
              case 'text-delta': {
                const delta = trim ? trim.push(part.delta) : part.delta;
                if (delta) {
                  answer += delta;
                  yield { type: 'text-delta', delta };
                }
                break;
              }
              case 'tool-call-delta':
                sawToolCall = true;
                yield part;
                break;
              case 'finish': {
                const rest = trim?.flush();
                if (rest) {
                  answer += rest;
                  yield { type: 'text-delta', delta: rest };
                }
                if (!produced) this.observer.serving?.(candidate);
                this.record(candidate, 'ok', null, started, ttft, part.usage, continuing);
                this.services.succeeded(candidate, part.usage, gate.probe);
                yield part;
                return;
              }
            }
          }
          failure ??= new ProviderError('the stream ended without a finish', { provider: candidate.provider, isRetryable: true });
        } catch (error) {
          failure = asProviderError(error, candidate);
        }
        // What the trimmer still held back is part of the answer the client has not seen yet: keep it.
        const held = trim?.flush();
        if (held) {
          answer += held;
          yield { type: 'text-delta', delta: held };
        }
        this.recordFailure(candidate, failure, started, ttft, continuing);
        failures.push({ candidate, error: failure });
        if (failure.details.isAbort) {
          yield { type: 'error', error: failure };
          return;
        }
        if (sawToolCall) {
          yield { type: 'error', error: toolCallCut(failure) };
          return;
        }
        // Once this attempt streamed, the next candidate continues; before that, the same one may try again.
        if (produced || !(await this.shouldRetry(failure, retry, deadline, options.abortSignal))) break;
      }
    }
    yield { type: 'error', error: finalError(failures, answer.length > initialPrefix.length) };
  }

  /** The candidates in order, each with its gate; the skipped ones are noted in `failures` and the run's attempts. */
  private async *admitted(failures: Failure[]): AsyncGenerator<{ candidate: RouteCandidate; gate: Gate & { skip: null } }> {
    for (const candidate of this.candidates) {
      const gate = await this.services.gate(candidate);
      if (gate.skip === null) yield { candidate, gate };
      else failures.push(this.skipped(candidate, gate.skip, gate.retryAfterMs, gate.error));
    }
  }

  private async shouldRetry(error: ProviderError, retry: number, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    const { max_retries, backoff_ms } = this.services.autoPick;
    if (!error.details.isRetryable || retry >= max_retries) return false;
    const backoff = backoff_ms * 2 ** retry * (0.5 + Math.random() / 2);
    const wait = Math.max(backoff, error.details.retryAfterMs ?? 0);
    // A pause longer than the router's budget is better spent on the next candidate.
    if (Date.now() + wait > deadline) return false;
    return sleep(wait, signal);
  }

  private skipped(candidate: RouteCandidate, reason: string, retryAfterMs?: number, reported?: ProviderError): Failure {
    this.observer.attempt?.({ ...candidate, outcome: 'skipped', error: reason, latencyMs: 0, ttftMs: null, usage: emptyUsage(), cached: false, continued: false });
    if (reported) return { candidate, error: reported, skipped: true };
    const error = new ProviderError(`skipped: ${reason}`, {
      provider: candidate.provider,
      status: 503,
      isRetryable: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    return { candidate, error, skipped: true };
  }

  private recordFailure(candidate: RouteCandidate, error: ProviderError, started: number, ttft: number | null, continued: boolean): void {
    this.record(candidate, error.details.isAbort ? 'aborted' : 'error', error.message, started, ttft, emptyUsage(), continued);
    if (!error.details.isAbort && countsAgainstProvider(error)) this.services.failed(candidate, error);
  }

  private record(
    candidate: RouteCandidate,
    outcome: RouteAttempt['outcome'],
    error: string | null,
    started: number,
    ttftMs: number | null,
    usage: Usage,
    continued: boolean,
  ): void {
    this.observer.attempt?.({ ...candidate, outcome, error, latencyMs: Date.now() - started, ttftMs, usage, cached: false, continued });
  }
}

/** Every candidate was skipped (circuits open, over rate limits, servers down): nothing was even tried. */
export class NoTargetAvailableError extends ProviderError {}

interface Failure {
  candidate: RouteCandidate;
  error: ProviderError;
  skipped?: boolean;
}

/** 400 and 404 are about the request; everything else that is not an abort says the provider is unwell. */
function countsAgainstProvider(error: ProviderError): boolean {
  const status = error.details.status;
  return error.details.isRetryable || status === 401 || status === 403;
}

function asProviderError(error: unknown, candidate: RouteCandidate): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(message, { provider: candidate.provider, isRetryable: false, cause: error });
}

function toolCallCut(cause: ProviderError): ProviderError {
  return new ProviderError(`the stream broke during a tool call, which cannot be continued: ${cause.message}`, {
    provider: cause.details.provider,
    ...(cause.details.status !== undefined ? { status: cause.details.status } : {}),
    isRetryable: false,
    cause,
  });
}

/** One candidate's error as it is, or one that names every candidate and why it did not answer. */
function finalError(failures: Failure[], midAnswer = false): ProviderError {
  const last = failures.at(-1)?.error;
  if (failures.length === 1 && last && !midAnswer) return last;
  const summary = failures.map((f) => `${f.candidate.provider}/${f.candidate.model}: ${f.error.message}`).join('; ');
  const waits = failures.map((f) => f.error.details.retryAfterMs).filter((ms): ms is number => ms !== undefined);
  const allSkipped = failures.length > 0 && failures.every((f) => f.skipped);
  const ErrorClass = allSkipped && !midAnswer ? NoTargetAvailableError : ProviderError;
  return new ErrorClass(
    midAnswer
      ? `the answer was cut off and no other target could continue it (${summary})`
      : allSkipped
        ? `no target is available now (${summary})`
        : `every target failed (${summary})`,
    {
      provider: last?.details.provider ?? 'router',
      status: allSkipped ? 503 : (last?.details.status ?? 502),
      isRetryable: last?.details.isRetryable ?? false,
      ...(waits.length ? { retryAfterMs: Math.min(...waits) } : {}),
      cause: last,
    },
  );
}

/** The messages that ask `mode`'s way for the rest of `partial`. */
export function continuationMessages(messages: ChatMessage[], partial: string, mode: 'prefill' | 'instruct'): ChatMessage[] {
  const withPartial: ChatMessage[] = [...messages, { role: 'assistant', content: partial }];
  return mode === 'prefill' ? withPartial : [...withPartial, { role: 'user', content: CONTINUE_PROMPT }];
}

/**
 * Drops what a continuation repeats of the partial answer's end (a model asked in words to continue often
 * starts a sentence or a word again). Holds the continuation's first text back while it could still be such a
 * repeat (while it occurs in the partial answer), then lets through everything after the longest overlap.
 */
export class OverlapTrimmer {
  private held = '';
  private done = false;

  constructor(private readonly partial: string) {}

  push(delta: string): string {
    if (this.done) return delta;
    this.held += delta;
    if (this.partial.includes(this.held)) return '';
    return this.release();
  }

  flush(): string {
    return this.done ? '' : this.release();
  }

  private release(): string {
    this.done = true;
    const held = this.held;
    this.held = '';
    for (let k = Math.min(held.length, this.partial.length); k >= MIN_OVERLAP; k--) {
      if (this.partial.endsWith(held.slice(0, k))) return held.slice(k);
    }
    return held;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
