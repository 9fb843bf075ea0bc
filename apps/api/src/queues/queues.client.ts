import { createHash, randomBytes } from 'node:crypto';
import { type QueueCountsDto, type QueueOverviewDto, type SwitchboardConfig } from '@switchboard/contracts';
import { queueNames, type Redis, redisKeys } from '@switchboard/queue';
import { Queue } from 'bullmq';
import { openQueueConnection, unavailableOnError } from '../common/queue-connection.js';

const COUNTED = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/**
 * Read-only handles on every queue of the job catalog, under the platform's BullMQ prefix. The connection opens
 * on first use (an API nobody asks about queues holds none) and fails fast with a 503 while Redis is away.
 */
export class QueuesClient {
  private opening: Promise<{ redis: Redis; queues: Queue[] }> | null = null;

  constructor(private readonly config: SwitchboardConfig) {}

  async overview(): Promise<QueueOverviewDto> {
    const { redis, queues } = await this.open();
    const keys = redisKeys(this.config.redis.prefix);
    const [counts, inline] = await unavailableOnError(
      Promise.all([
        Promise.all(queues.map(async (q): Promise<QueueCountsDto> => ({ name: q.name, ...zeroFilled(await q.getJobCounts(...COUNTED)) }))),
        // Only leases not yet expired: an expired one is a run a worker is about to take over (then it is a job).
        redis.zcount(keys.inlineLeases(), Date.now(), '+inf'),
      ]),
    );
    const runsActive = counts.find((c) => c.name === 'runs')?.active ?? 0;
    return { queues: counts, inline_runs: inline, active_runs: runsActive + inline };
  }

  /**
   * A queue-board session (see queue-board.routes.ts): a random token whose hash is kept in Redis for `ttlSeconds`,
   * so every api instance behind one address accepts it and none keeps state of its own.
   */
  async createBoardSession(ttlSeconds: number): Promise<string> {
    const { redis } = await this.open();
    const token = randomBytes(32).toString('base64url');
    await unavailableOnError(redis.set(this.sessionKey(token), '1', 'EX', ttlSeconds));
    return token;
  }

  async hasBoardSession(token: string): Promise<boolean> {
    const { redis } = await this.open();
    return (await unavailableOnError(redis.exists(this.sessionKey(token)))) === 1;
  }

  private sessionKey(token: string): string {
    return `${this.config.redis.prefix}:board:session:${createHash('sha256').update(token).digest('hex')}`;
  }

  /**
   * Every queue's depth by state and its completed/failed totals in Prometheus' text format, by BullMQ's own
   * exporter (`bullmq_job_count{queue,state}`, `bullmq_job_completed_total`, `bullmq_job_failed_total`), merged
   * so each metric has one HELP and TYPE (the exporter writes them per queue, and Prometheus refuses repeats).
   */
  async prometheus(labels: Record<string, string>): Promise<string> {
    const { queues } = await this.open();
    const texts = await unavailableOnError(Promise.all(queues.map((q) => q.exportPrometheusMetrics(labels))));
    return mergeExpositions(texts);
  }

  /** The queue handles, for whoever shows them (bull-board). */
  async queues(): Promise<Queue[]> {
    return (await this.open()).queues;
  }

  async close(): Promise<void> {
    const opened = await this.opening?.catch(() => null);
    if (!opened) return;
    await Promise.all(opened.queues.map((q) => q.close().catch(() => undefined)));
    opened.redis.disconnect();
  }

  private open(): Promise<{ redis: Redis; queues: Queue[] }> {
    this.opening ??= (async () => {
      const redis = await openQueueConnection(this.config, 'api-queues');
      const prefix = redisKeys(this.config.redis.prefix).bullPrefix();
      return { redis, queues: queueNames.map((name) => new Queue(name, { connection: redis, prefix, skipWaitingForReady: true })) };
    })();
    this.opening.catch(() => {
      this.opening = null;
    });
    return unavailableOnError(this.opening);
  }
}

function zeroFilled(counts: Record<string, number>): Omit<QueueCountsDto, 'name'> {
  return Object.fromEntries(COUNTED.map((state) => [state, counts[state] ?? 0])) as Omit<QueueCountsDto, 'name'>;
}

/** Exposition texts of the same metrics joined under one HELP and TYPE per metric, samples in order. */
export function mergeExpositions(texts: string[]): string {
  const metrics = new Map<string, { head: string[]; samples: string[] }>();
  for (const line of texts.flatMap((t) => t.split('\n'))) {
    const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
    const name = comment ? comment[2]! : /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    let metric = metrics.get(name);
    if (!metric) metrics.set(name, (metric = { head: [], samples: [] }));
    if (!comment) metric.samples.push(line);
    else if (!metric.head.some((h) => h.startsWith(`# ${comment[1]!} `))) metric.head.push(line);
  }
  return [...metrics.values()].map((m) => [...m.head, ...m.samples].join('\n')).join('\n') + '\n';
}
