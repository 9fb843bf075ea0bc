import { Inject, Injectable, Optional } from '@nestjs/common';
import { type ApiErrorDetail, type Liveness, type Readiness } from '@switchboard/contracts';
import { type Database } from '@switchboard/db';
import { type Logger } from 'pino';
import { type RedisPinger } from '../api-deps.js';
import { DATABASE, LOGGER, REDIS } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';

/** A dependency that does not answer within this long counts as down: /readyz itself must answer quickly. */
const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(REDIS) private readonly redis?: RedisPinger,
  ) {}

  liveness(): Liveness {
    return { status: 'ok' };
  }

  /** 503 naming each dependency that failed, so an operator sees which one without reading logs. */
  async readiness(): Promise<Readiness> {
    const checks: [string, () => Promise<unknown>][] = [['database', () => this.db.ping()]];
    const redis = this.redis;
    if (redis) checks.push(['redis', () => redis.ping()]);
    const results = await Promise.all(checks.map(async ([name, check]) => ({ name, ...(await timed(check)) })));
    const failed: ApiErrorDetail[] = results.flatMap((r) => (r.error === undefined ? [] : [{ path: r.name, message: r.error }]));
    if (failed.length > 0) {
      this.logger.warn({ failed }, 'not ready');
      const names = failed.map((f) => f.path).join(', ');
      throw new ApiError(503, 'service_unavailable_error', `Not ready: ${names} did not answer`, failed);
    }
    return { status: 'ok', checks: Object.fromEntries(results.map((r) => [r.name, { latency_ms: r.latencyMs }])) };
  }
}

async function timed(check: () => Promise<unknown>): Promise<{ latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { latencyMs: Math.round(performance.now() - started), error: safeMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Driver messages can quote a connection URL: drop any credentials before the message leaves the process. */
function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^/@\s]*@/g, '//***@').slice(0, 300);
}
