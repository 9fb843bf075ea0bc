import { llamaErrors } from './llama-errors.js';
import type { ProviderError } from '../language-model.js';

type CutReason = 'abort' | 'first-token-timeout' | 'timeout';

/**
 * One call's cancellation: the caller's signal, the provider's first-token and total time limits all abort
 * one per-call controller, and the first to fire is remembered so the error says which it was. The waiting
 * for a sequence counts towards the first token: a local model that is busy for longer than
 * first_token_timeout_ms lets the router move on, as a silent remote one would.
 */
export class LlamaCall {
  private readonly controller = new AbortController();
  reason: CutReason | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout;

  constructor(
    private readonly provider: string,
    private readonly external: AbortSignal | undefined,
    /** Undefined: no first-token limit (non-streaming calls, where nobody watches tokens arrive). */
    private readonly firstTokenTimeoutMs: number | undefined,
    private readonly timeoutMs: number,
  ) {
    this.totalTimer = setTimeout(() => this.cut('timeout'), timeoutMs).unref();
    if (firstTokenTimeoutMs !== undefined) {
      this.firstTokenTimer = setTimeout(() => this.cut('first-token-timeout'), firstTokenTimeoutMs).unref();
    }
    if (external?.aborted) this.cut('abort');
    else external?.addEventListener('abort', this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** EventListener protocol: the caller's signal holds this object, not a fresh closure per call. */
  handleEvent(): void {
    this.cut('abort');
  }

  /** Our own early stop (the consumer left the stream). */
  cancel(): void {
    this.cut('abort');
  }

  firstToken(): void {
    if (this.firstTokenTimer !== undefined) {
      clearTimeout(this.firstTokenTimer);
      this.firstTokenTimer = undefined;
    }
  }

  end(): void {
    this.firstToken();
    clearTimeout(this.totalTimer);
    this.external?.removeEventListener('abort', this);
  }

  /** The error that describes why this call was cut; undefined while it runs. */
  error(): ProviderError | undefined {
    switch (this.reason) {
      case undefined:
        return undefined;
      case 'abort':
        return llamaErrors.aborted(this.provider);
      case 'first-token-timeout':
        return llamaErrors.timedOut(this.provider, 'first-token', this.firstTokenTimeoutMs ?? 0);
      case 'timeout':
        return llamaErrors.timedOut(this.provider, 'total', this.timeoutMs);
    }
  }

  /** Waits for `promise` unless the call is cut first (the promise itself runs on). */
  async race<T>(promise: Promise<T>): Promise<T> {
    const cutError = this.error();
    if (cutError) throw cutError;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.error());
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      if (onAbort) this.signal.removeEventListener('abort', onAbort);
    }
  }

  private cut(reason: CutReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.end();
    this.controller.abort(this.error());
  }
}
