import { type RunEvent, terminalEventTypes } from '@switchboard/contracts';
import type { Database, RunRow } from '@switchboard/db';
import { type InlineRunLedger, type Redis, type RedisKeys, readRunEvents, RunEventWriter, RunFencedError, lastRunEventSeq, type RunQueue } from '@switchboard/queue';
import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Notifier } from './chat-run.processor.js';

export interface StaleRunDeps {
  /** Null without persistence: streams still end, there is no row to fail and nothing to scan. */
  db: Database | null;
  redis: Redis;
  keys: RedisKeys;
  /** The `runs` queue, to ask BullMQ whether a run's job is still alive. */
  runs: Queue;
  logger: Logger;
  staleAfterMs: number;
  maxStalledCount: number;
  eventsTtlSeconds: number;
  /** Tells the owner of a background run that died for good (their client stream had already ended). */
  notifier?: Notifier | null;
}

export const STALE_CODE = 'run_stale';

/** Most stale runs one scan handles; the next scan takes the rest. */
const SCAN_LIMIT = 200;

/**
 * The watchdog's scan: runs whose heartbeat is older than `staleAfterMs` and whose job no live worker holds
 * and BullMQ will not run again are failed with a terminal `run_stale` event, so every open stream ends.
 * Runs that BullMQ still owns (waiting, delayed, or active without a lock but with stalls left, which the
 * stalled check re-queues) are left to it. Returns the ids it failed.
 */
export async function scanStaleRuns(deps: StaleRunDeps): Promise<string[]> {
  if (!deps.db) return [];
  const stale = await deps.db.runs.findStale(new Date(Date.now() - deps.staleAfterMs), SCAN_LIMIT);
  const failed: string[] = [];
  for (const run of stale) {
    const job = (await deps.runs.getJob(run.id)) as Job | undefined;
    if (job && (await stillOwned(deps, job))) continue;
    const replyTo = (job?.data as { replyTo?: string | null } | undefined)?.replyTo ?? null;
    if (await endRun(deps, run, replyTo, 'The run stopped responding (no heartbeat) and cannot be retried.')) failed.push(run.id);
  }
  if (failed.length) deps.logger.warn({ runs: failed }, 'watchdog failed stale runs');
  return failed;
}

/**
 * For a job BullMQ failed for good (out of attempts, or stalled too often): ends its stream with a terminal
 * error unless one was written already (the processor writes its own on ordinary failures).
 */
export async function endFailedJob(deps: StaleRunDeps, runId: string, failedReason: string): Promise<boolean> {
  const run = (await deps.db?.runs.get(runId)) ?? null;
  const job = (await deps.runs.getJob(runId)) as Job | undefined;
  if (job && (await job.getState()) !== 'failed') return false;
  const replyTo = (job?.data as { replyTo?: string | null } | undefined)?.replyTo ?? null;
  const stalled = /stalled/i.test(failedReason);
  const message = stalled ? 'The run was lost by its workers too many times and was given up.' : 'The run failed and is out of attempts.';
  return endRun(deps, run, replyTo, message, stalled ? STALE_CODE : 'run_failed', runId);
}

async function stillOwned(deps: StaleRunDeps, job: Job): Promise<boolean> {
  const state = await job.getState();
  switch (state) {
    case 'waiting':
    case 'waiting-children':
    case 'delayed':
    case 'prioritized':
      return true;
    case 'active': {
      // A live worker renews the job's lock; without one, BullMQ's stalled check re-queues it while it has stalls left.
      if ((await deps.redis.exists(`${deps.runs.toKey(job.id!)}:lock`)) === 1) return true;
      return job.stalledCounter < deps.maxStalledCount;
    }
    case 'completed':
    case 'failed':
    case 'unknown':
      return false;
  }
}

/**
 * Writes the terminal event (fenced: if a worker appends at the same moment, one of the two wins and nothing
 * follows a terminal event) and brings the row to the matching final status. Returns whether it wrote.
 */
async function endRun(deps: StaleRunDeps, run: RunRow | null, replyTo: string | null, message: string, code = STALE_CODE, runId = run?.id): Promise<boolean> {
  if (!runId) return false;
  const lastSeq = await lastRunEventSeq(deps.redis, deps.keys, runId);
  const last = lastSeq > 0 ? (await readRunEvents(deps.redis, deps.keys, runId, lastSeq - 1)).at(-1)?.event : undefined;
  let wrote = false;
  let status: RunRow['status'] = 'failed';
  let error: string | null = message;
  // A run in the background has no client stream left, but its end still goes into its events (so a retry
  // or a late reader knows) and to its owner as a notification.
  const backgrounded = last?.t === 'background';
  if (last && terminalEventTypes.has(last.t) && !backgrounded) {
    ({ status, error } = statusOf(last));
  } else {
    const writer = new RunEventWriter(deps.redis, deps.keys, runId, lastSeq, deps.eventsTtlSeconds, replyTo);
    writer.append({ t: 'error', status: 500, message, type: 'server_error', code });
    try {
      await writer.flush();
      wrote = true;
    } catch (e) {
      if (!(e instanceof RunFencedError)) throw e;
      return false;
    }
  }
  if (deps.db && run && (run.status === 'running' || run.status === 'background' || run.status === 'queued')) {
    await deps.db.runs.update(runId, { status, error, finishedAt: new Date() });
  }
  if (wrote && backgrounded && run) {
    deps.notifier?.notify({
      type: 'run.failed',
      runId,
      conversationId: run.conversationId,
      apiKeyId: run.apiKeyId,
      status: 'failed',
      agent: null,
      error: message,
      background: true,
      at: new Date().toISOString(),
    });
  }
  return wrote;
}

function statusOf(event: RunEvent): { status: RunRow['status']; error: string | null } {
  if (event.t === 'error') return { status: event.code === 'cancelled' ? 'cancelled' : 'failed', error: event.message };
  // Its clients were told it went on in the background, but the worker holding it is gone.
  if (event.t === 'background') return { status: 'failed', error: 'The background run stopped responding.' };
  return { status: 'succeeded', error: null };
}

/**
 * Runs a gateway ran itself whose lease expired (the gateway died, or shut down with them unfinished): each
 * goes to the queue as a `handoff` job, which continues it from its events (or, if it had ended, records it).
 * A run whose job Redis lost is ended with a terminal error. Returns the ids taken over.
 */
export async function takeOverInlineRuns(deps: StaleRunDeps & { ledger: InlineRunLedger; runQueue: RunQueue }): Promise<string[]> {
  const taken: string[] = [];
  for (const { runId, job } of await deps.ledger.claimExpired(SCAN_LIMIT)) {
    if (!job) {
      await endRun(deps, null, null, 'The gateway running this run stopped and its request was lost.', 'run_lost', runId);
      continue;
    }
    await deps.runQueue.enqueueChat({ ...job, handoff: true });
    taken.push(runId);
  }
  if (taken.length) deps.logger.warn({ runs: taken }, 'took over runs whose gateway stopped');
  return taken;
}
