/** Why our side ended a call early. */
export type CallCutReason = 'abort' | 'first-token-timeout' | 'timeout';

function cut(call: CallControl, reason: CallCutReason): void {
  call.cutBy(reason);
}

/**
 * One call's cancellation, shared by every adapter: the caller's signal, the time-to-first-token limit and the whole-call limit all
 * abort one per-call controller, and the first one to fire is remembered so the error says which it was.
 *
 * The SDK gets this per-call signal, never the caller's: the SDK adds an abort listener to the signal it is
 * given and never removes it, so a long-lived caller signal shared by many calls would collect listeners.
 */
export class CallControl {
  readonly controller = new AbortController();
  reason: CallCutReason | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout;

  constructor(
    private readonly external: AbortSignal | undefined,
    readonly firstTokenTimeoutMs: number | undefined,
    readonly timeoutMs: number,
  ) {
    // Timers take their arguments instead of closures: this runs on every call.
    this.totalTimer = setTimeout(cut, timeoutMs, this, 'timeout').unref();
    if (firstTokenTimeoutMs !== undefined) {
      this.firstTokenTimer = setTimeout(cut, firstTokenTimeoutMs, this, 'first-token-timeout').unref();
    }
    if (external) {
      if (external.aborted) this.cutBy('abort');
      else external.addEventListener('abort', this);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** EventListener protocol, so the caller's signal holds this object rather than a fresh closure. */
  handleEvent(): void {
    this.cutBy('abort');
  }

  cutBy(reason: CallCutReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.end();
    this.controller.abort(this.abortReason());
  }

  /** What the per-call signal is aborted with; adapters that hand the signal to code reading its reason override it. */
  protected abortReason(): unknown {
    return undefined;
  }

  /** The provider produced something: from now on only the whole-call limit applies. */
  firstToken(): void {
    if (this.firstTokenTimer !== undefined) {
      clearTimeout(this.firstTokenTimer);
      this.firstTokenTimer = undefined;
    }
  }

  /** Releases timers and the listener on the caller's signal; idempotent. */
  end(): void {
    this.firstToken();
    clearTimeout(this.totalTimer);
    this.external?.removeEventListener('abort', this);
  }

  /** The consumer stopped early: end the call and free the upstream connection. */
  cancel(): void {
    this.end();
    if (!this.controller.signal.aborted) this.controller.abort();
  }
}
