import type { ApiKeysRepository } from '@switchboard/db';

/** The slice of a pino logger this uses. */
export interface AuthLogger {
  warn(obj: object, msg?: string): void;
}

/**
 * Collects which database keys were used and writes their `last_used_at` in one statement per window, off
 * the request path. The timer runs only while something waits to be written, so an idle process (or one
 * whose database is closed) has nothing scheduled.
 */
export class KeyUsageRecorder {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly keys: Pick<ApiKeysRepository, 'touch'>,
    private readonly windowMs: number,
    private readonly logger: AuthLogger,
  ) {}

  record(keyId: string): void {
    this.pending.add(keyId);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.windowMs);
    this.timer.unref();
  }

  /** Writes what is pending now (also what close() does). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.flushing;
    const ids = [...this.pending];
    this.pending = new Set();
    const at = new Date();
    this.flushing = this.flushing.then(() =>
      this.keys.touch(ids, at).catch((err: unknown) => {
        // A lost last-used time is not worth failing anything for; the next use records it again.
        this.logger.warn({ err, keys: ids.length }, 'could not record when API keys were last used');
      }),
    );
    return this.flushing;
  }
}
