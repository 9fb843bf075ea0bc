/** Why our side ended a call early. */
export type CallCutReason = 'abort' | 'first-token-timeout' | 'idle-timeout' | 'timeout';

function cut(call: CallControl, reason: CallCutReason): void {
  call.cutBy(reason);
}

function checkIdle(call: CallControl): void {
  call.checkIdle();
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
  private idleTimer: NodeJS.Timeout | undefined;
  /** When the provider last produced something (ms); read by the idle timer only when it fires. */
  private lastPart = 0;

  constructor(
    private readonly external: AbortSignal | undefined,
    readonly firstTokenTimeoutMs: number | undefined,
    readonly timeoutMs: number,
    /** Longest silence between parts once the first has come; undefined: no limit (non-streaming calls). */
    readonly idleTimeoutMs?: number,
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

  /**
   * The provider produced something (called for every part): the first-token limit is over, and the idle limit
   * counts from now. Per part this is one clock read; the idle timer is armed once and re-armed only when it
   * fires early.
   */
  firstToken(): void {
    if (this.firstTokenTimer !== undefined) {
      clearTimeout(this.firstTokenTimer);
      this.firstTokenTimer = undefined;
    }
    if (this.idleTimeoutMs === undefined || this.reason !== undefined) return;
    this.lastPart = Date.now();
    this.idleTimer ??= setTimeout(checkIdle, this.idleTimeoutMs, this).unref();
  }

  /** The idle timer fired: cut the call if it has been silent that long, else wait out the rest. */
  checkIdle(): void {
    const silentMs = Date.now() - this.lastPart;
    const limit = this.idleTimeoutMs as number;
    if (silentMs >= limit) this.cutBy('idle-timeout');
    else this.idleTimer = setTimeout(checkIdle, limit - silentMs, this).unref();
  }

  /** Releases timers and the listener on the caller's signal; idempotent. */
  end(): void {
    if (this.firstTokenTimer !== undefined) {
      clearTimeout(this.firstTokenTimer);
      this.firstTokenTimer = undefined;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    clearTimeout(this.totalTimer);
    this.external?.removeEventListener('abort', this);
  }

  /** The consumer stopped early: end the call and free the upstream connection. */
  cancel(): void {
    this.end();
    if (!this.controller.signal.aborted) this.controller.abort();
  }
}
