/**
 * Requests per minute per principal, in a fixed one-minute window held in this gateway's memory: no Redis
 * round trip on the hot path. With N gateways behind a balancer a key can get up to N times its limit;
 * DESIGN §2 accepts that trade for latency, and the worker-side budgets still bound what a key can spend.
 */
export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly defaultPerMinute: number) {}

  /** Returns 0 when allowed, else the seconds until the window resets. */
  take(key: string, perMinute: number | null): number {
    const limit = perMinute ?? this.defaultPerMinute;
    const now = Date.now();
    const window = Math.floor(now / 60000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    return used > limit ? Math.max(1, Math.ceil(((window + 1) * 60000 - now) / 1000)) : 0;
  }
}
