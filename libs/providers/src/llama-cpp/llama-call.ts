import { llamaErrors } from './llama-errors.js';
import { CallControl } from '../call-control.js';
import type { ProviderError } from '../language-model.js';

/**
 * One llama call's cancellation: the shared CallControl, whose abort carries a ProviderError that says why.
 * The waiting for a sequence counts towards the first token: a local model that is busy for longer than
 * first_token_timeout_ms lets the router move on, as a silent remote one would.
 */
export class LlamaCall extends CallControl {
  constructor(
    private readonly provider: string,
    external: AbortSignal | undefined,
    /** Undefined: no first-token limit (non-streaming calls, where nobody watches tokens arrive). */
    firstTokenTimeoutMs: number | undefined,
    timeoutMs: number,
    idleTimeoutMs?: number,
  ) {
    super(external, firstTokenTimeoutMs, timeoutMs, idleTimeoutMs);
  }

  protected override abortReason(): unknown {
    return this.error();
  }

  /** Our own early stop (the consumer left the stream) reads as an abort, so the sequence is freed at once. */
  override cancel(): void {
    this.cutBy('abort');
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
      case 'idle-timeout':
        return llamaErrors.timedOut(this.provider, 'idle', this.idleTimeoutMs ?? 0);
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
}
