import type { ChatMessage, ChatRunJob } from '@switchboard/contracts';
import type { RunOutcome } from '@switchboard/runs';
import { type CompletedRunRecord, type Database, type NewMessage, newId } from '@switchboard/db';
import type { Logger } from 'pino';


const contentText = (content: ChatMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('');

interface Pending {
  record: CompletedRunRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** When it was first held because the database was down (its caller was answered then, unless `durable`). */
  heldSince?: number;
  /** The caller waits for the write itself, even through an outage (its record is safe elsewhere meanwhile). */
  durable?: boolean;
}

export interface RunRecorderOptions {
  /** How long a record may wait in memory for the database to come back before it is given up (logged). */
  holdForMs?: number;
  /** Most records held at once; past it the oldest are given up (logged), so an outage cannot exhaust memory. */
  maxHeld?: number;
}

/** A `durable` record the recorder gave up on: the database stayed down past the hold time (or the close). */
export class RecordGivenUpError extends Error {
  override readonly name = 'RecordGivenUpError';
  constructor(runId: string) {
    super(`run ${runId}: not recorded, the database stayed down too long`);
  }
}

/** Waits between attempts while the database is down: short at first, then every 2 s. */
const RETRY_DELAYS_MS = [100, 200, 500, 1000, 2000];

/**
 * Most runs one transaction writes. On a database server the cost per run keeps falling with the batch: 256.
 * Embedded PGlite is one connection: its thread writes a batch (Prisma and SQL both there, libs/db PGliteThread)
 * while every other query waits, so batches stay at 64 (~30 ms of that thread); npm run bench, all-in-one, found
 * no difference in throughput or latency between 16 and 64.
 */
const MAX_BATCH_EMBEDDED = 64;
const MAX_BATCH_SERVER = 256;

/**
 * Writes what runs produced: the conversation (ours by id, the client's by external id, else a new one), the
 * messages the client added since the last answer, the assistant's answer, the run and its provider call.
 * Runs that end while a write is in flight are written together in the next transaction, so the cost per run
 * falls as load rises; nothing waits when idle. Always after the client has its answer, so the database never
 * adds to time to first token.
 *
 * A database that is down (a failed write, then a failed ping) does not stop the runs: their records are held
 * in memory and `record` resolves at once (the run, and the worker slot it holds, end as usual), and the held
 * records are written, in order, as soon as the database answers again (retries after 0.1 s, growing to every
 * 2 s). Bounded: a record held longer than `holdForMs` (default 10 min), or beyond `maxHeld` (default 10,000),
 * is given up with an error log naming the run, as are those still held when the worker closes.
 */
export class RunRecorder {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly holdForMs: number;
  private readonly maxHeld: number;
  /** Set by close(): past it, records still waiting for the database are given up. */
  private closeBy = Infinity;
  /** The last write found the database down: new records are held (and their callers answered) at once. */
  private down = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger | null = null,
    options: RunRecorderOptions = {},
  ) {
    this.holdForMs = options.holdForMs ?? 10 * 60_000;
    this.maxHeld = options.maxHeld ?? 10_000;
  }

  /** Records held in memory because the database is down. */
  get held(): number {
    return this.queue.filter((p) => p.heldSince !== undefined).length;
  }

  /**
   * Queues a run's record. Resolves once it is written, or, while the database is down, once it is held in
   * memory; with `durable`, only once it is written (for a caller that keeps the record safe meanwhile, such as
   * the records stream of runs gateways ran, which then keeps it in Redis rather than in this process). Rejects
   * if the database refused it, or, `durable`, when it was given up.
   */
  record(job: ChatRunJob, outcome: RunOutcome, options: { durable?: boolean } = {}): Promise<void> {
    const record = buildRecord(job, outcome);
    return new Promise((resolve, reject) => {
      const pending: Pending = { record, resolve, reject, durable: options.durable === true };
      if (this.down) {
        pending.heldSince = Date.now();
        if (!pending.durable) resolve();
      }
      this.queue.push(pending);
      this.flushing ??= this.flush();
    });
  }

  /** The conversation a recorded run was written into (an external id is resolved only when it is written). */
  async runConversation(runId: string): Promise<string | null> {
    return (await this.db.runs.get(runId))?.conversationId ?? null;
  }

  /** Resolves when everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Writes what is queued; records still waiting for a database that is down are given up after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closeBy = Date.now() + graceMs;
    await this.drain();
  }

  private async flush(): Promise<void> {
    let failures = 0;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.db.kind === 'pglite' ? MAX_BATCH_EMBEDDED : MAX_BATCH_SERVER);
        try {
          await this.db.recordRuns(batch.map((p) => p.record));
          if (failures > 0) this.logger?.warn({ runs: batch.length, attempts: failures + 1 }, 'database is back: recorded the runs held meanwhile');
          failures = 0;
          this.down = false;
          for (const p of batch) p.resolve();
        } catch (error) {
          if (!(await this.reachable())) {
            // The database is down, not the records: keep them (in order) and try again shortly.
            this.queue.unshift(...batch);
            this.down = true;
            this.hold(error, failures++);
            await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[Math.min(failures - 1, RETRY_DELAYS_MS.length - 1)]));
            continue;
          }
          // One bad record must not sink the others: write them one by one to find it (a lone record gets a
          // second try, for a connection that broke while the database stayed up).
          for (const p of batch) await this.db.recordRuns([p.record]).then(p.resolve, (e: unknown) => this.failed(p, e));
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /** A record the database refused: its caller hears of it, or, if it was answered already, the log does. */
  private failed(p: Pending, error: unknown): void {
    if (p.heldSince === undefined || p.durable) p.reject(error);
    else this.logger?.error({ err: error, runId: p.record.run.id }, 'could not record a run held while the database was down');
  }

  private async reachable(): Promise<boolean> {
    return this.db.ping().then(
      () => true,
      () => false,
    );
  }

  /** Answers the callers of newly held records, and gives up those past the bounds. */
  private hold(error: unknown, failures: number): void {
    const now = Date.now();
    for (const p of this.queue) {
      if (p.heldSince !== undefined) continue;
      p.heldSince = now;
      if (!p.durable) p.resolve();
    }
    if (failures === 0) this.logger?.error({ err: error, runs: this.queue.length }, 'database is down: holding run records in memory until it is back');
    const expired = now >= this.closeBy ? this.queue.length : this.queue.filter((p) => now - p.heldSince! > this.holdForMs).length;
    const over = Math.max(expired, this.queue.length - this.maxHeld);
    if (over > 0) {
      // Oldest first: the queue is in arrival order.
      const dropped = this.queue.splice(0, over);
      this.logger?.error({ runs: dropped.map((p) => p.record.run.id) }, 'gave up recording runs: the database stayed down too long');
      for (const p of dropped) if (p.durable) p.reject(new RecordGivenUpError(p.record.run.id));
    }
  }
}

function buildRecord(job: ChatRunJob, outcome: RunOutcome): CompletedRunRecord {
  const ownerKeyId = job.apiKeyId;
  const messages = job.request.messages;
  const firstUser = messages.find((m) => m.role === 'user');
  // The database joins an existing conversation with this id (same owner) or this external id, else creates it.
  const conversation = {
    id: job.conversationId ?? newId(),
    ownerKeyId,
    externalId: job.externalConversationId,
    agentId: null,
    title: firstUser ? contentText(firstUser.content).slice(0, 80) : 'New conversation',
  };
  const conversationId = conversation.id;
  // Clients resend the whole history each turn: keep only what came after the last assistant message.
  let from = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'assistant') {
      from = i + 1;
      break;
    }
  }
  const rows: NewMessage[] = messages.slice(from).map((m) => ({
    id: newId(),
    conversationId,
    role: m.role,
    content: contentText(m.content),
    toolCallId: m.role === 'tool' ? m.tool_call_id : null,
  }));
  if (outcome.status === 'succeeded') {
    rows.push({
      id: newId(),
      conversationId,
      role: 'assistant',
      content: outcome.text,
      toolCalls: outcome.toolCalls.length ? outcome.toolCalls : null,
      runId: job.runId,
      promptTokens: outcome.usage.prompt_tokens,
      completionTokens: outcome.usage.completion_tokens,
    });
  }
  return {
    run: {
      id: job.runId,
      conversationId,
      apiKeyId: ownerKeyId,
      status: outcome.status,
      mode: outcome.mode,
      requestedModel: job.request.model,
      provider: outcome.provider,
      providerModel: outcome.model,
      attempt: outcome.attempt,
      startedAt: outcome.startedAt,
      finishedAt: new Date(),
      promptTokens: outcome.usage.prompt_tokens,
      completionTokens: outcome.usage.completion_tokens,
      cost: outcome.cost,
      finishReason: outcome.finishReason,
      error: outcome.error,
      output: outcome.output ?? null,
    },
    conversation,
    messages: rows,
    // Every attempt the router made (fallbacks, retries, skips); a run that made none of its own (a pipeline
    // whose stages failed before any call, a replayed finished run) gets one row for the run as a whole.
    providerCalls: (outcome.attempts ?? []).length
      ? outcome.attempts.map((a) => ({
          runId: job.runId,
          provider: a.provider,
          model: a.model,
          latencyMs: a.latencyMs,
          ttftMs: a.ttftMs,
          promptTokens: a.usage.prompt_tokens,
          completionTokens: a.usage.completion_tokens,
          outcome: a.outcome,
          error: a.error,
          cached: a.cached,
        }))
      : [
          {
            runId: job.runId,
            provider: outcome.provider,
            model: outcome.model,
            latencyMs: outcome.latencyMs,
            ttftMs: outcome.ttftMs,
            promptTokens: outcome.usage.prompt_tokens,
            completionTokens: outcome.usage.completion_tokens,
            outcome: outcome.status === 'succeeded' ? 'ok' : outcome.status === 'cancelled' ? 'aborted' : 'error',
            error: outcome.error,
          },
        ],
    spend: ownerKeyId ? { apiKeyId: ownerKeyId, tokens: outcome.usage.total_tokens, cost: outcome.cost } : undefined,
  };
}
