import type { Redis, RedisKeys } from '@switchboard/queue';

/**
 * Providers an admin switched off at runtime (a Redis SET, shared by every gateway and worker), read in the
 * background every `intervalMs` and kept in memory, so the router's common path stays synchronous. A Redis
 * error keeps the last known set: a blip never turns every provider back on or off.
 */
export class ProviderSwitches {
  private disabled: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly intervalMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  isDisabled(provider: string): boolean {
    return this.disabled.has(provider);
  }

  private async refresh(): Promise<void> {
    try {
      this.disabled = new Set(await this.redis.smembers(this.keys.disabledProviders()));
    } catch {
      // keep the last known set
    }
  }
}
