import { ConflictError } from '../errors.js';
import type { PrismaDb, PrismaTx } from '../prisma-client.js';
import type { CompletedRunRecord } from '../repositories.js';
import { addSpends, type Spend } from './api-keys.repository.js';
import { insertRows, type SqlDialect } from './bulk-insert.js';
import { defined, jsonOrNull } from './mappers.js';
import { messageData } from './messages.repository.js';
import { guard, isWriteConflict } from './prisma-errors.js';
import { providerCallData } from './provider-calls.repository.js';
import { resolveConversations } from './record-conversations.js';
import { runData } from './runs.repository.js';
import { messageTable, providerCallTable, runTable } from './table-columns.js';

/** Attempts of a whole batch when it loses a race (deadlock, write conflict, a row another process inserted). */
const MAX_ATTEMPTS = 4;

/**
 * Writes everything finished runs leave behind in ONE transaction: either the whole batch is there
 * (conversations, runs, messages, provider calls, spend) or none of it is, and the caller can retry it.
 *
 * The number of statements does not grow with the batch: a round trip per statement is what a run cost when
 * written alone (~14 ms for ~7 statements), so rows go in with one bulk INSERT per table (bulk-insert.ts;
 * more only past thousands of rows) and are looked up with `in`. What still grows: one increment per distinct
 * API key, and one update per run that already existed. Reads and updates stay on Prisma.
 *
 * Rows that many runs share (the API keys, then the conversations) are written FIRST. An insert that
 * references a row takes a shared lock on it (MySQL foreign-key checks), and two transactions that each hold a
 * shared lock and then want to update the row deadlock; taking the exclusive lock first makes them queue
 * instead. A deadlock or write conflict that still happens is retried, and so is an insert that lost a race
 * to another process (the twin conversation or the run it inserted is found and used on the next attempt).
 */
export async function recordRuns(db: PrismaDb, dialect: SqlDialect, records: readonly CompletedRunRecord[]): Promise<void> {
  if (records.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await guard(() => db.$transaction((tx) => writeBatch(tx, dialect, records)));
      return;
    } catch (error) {
      if (!(isWriteConflict(error) || isInsertRace(error)) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}

async function writeBatch(tx: PrismaTx, dialect: SqlDialect, given: readonly CompletedRunRecord[]): Promise<void> {
  const now = new Date();
  await addSpends(tx, spendPerKey(given));

  const { records, created } = await resolveConversations(tx, dialect, given, now);
  const messages = records.flatMap((r) => r.messages);
  // A conversation this batch created has `updatedAt = now` already: updating it again would write every such
  // row twice (a new row version and its WAL), one per run when each run starts its own conversation.
  const touched = [...new Set(messages.map((m) => m.conversationId))].filter((id) => !created.has(id)).sort();
  if (touched.length > 0) await tx.conversation.updateMany({ where: { id: { in: touched } }, data: { updatedAt: now } });

  await upsertRuns(tx, dialect, records, now);
  await insertRows(tx, dialect, messageTable, messageData(messages, now));
  await insertRows(tx, dialect, providerCallTable, providerCallData(records.flatMap((r) => r.providerCalls), now));
}

function spendPerKey(records: readonly CompletedRunRecord[]): Map<string, Spend> {
  const totals = new Map<string, Spend>();
  for (const { spend } of records) {
    if (!spend) continue;
    const total = totals.get(spend.apiKeyId) ?? { tokens: 0, cost: 0 };
    totals.set(spend.apiKeyId, { tokens: total.tokens + spend.tokens, cost: total.cost + spend.cost });
  }
  return totals;
}

/**
 * New runs are inserted together. A run that already exists (the gateway made it) gets only the fields the
 * record carries, one update each; they are rare. A run that appears twice in a batch is created once and
 * then updated, as two recordRun calls in that order would do.
 */
async function upsertRuns(tx: PrismaTx, dialect: SqlDialect, records: readonly CompletedRunRecord[], now: Date): Promise<void> {
  const runs = records.map((r) => r.run);
  const ids = [...new Set(runs.map((r) => r.id))];
  const existing = await tx.run.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const seen = new Set(existing.map((r) => r.id));
  const creates: ReturnType<typeof runData>[] = [];
  const updates: typeof runs = [];
  for (const run of runs) {
    if (seen.has(run.id)) {
      updates.push(run);
    } else {
      seen.add(run.id);
      creates.push(runData(run, now));
    }
  }
  await insertRows(tx, dialect, runTable, creates);
  // Sorted (stable, so repeats keep their order) for the same lock order in every transaction.
  updates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const { id, output, ...fields } of updates) {
    await tx.run.updateMany({ where: { id }, data: defined({ ...fields, output: jsonOrNull(output), updatedAt: now }) });
  }
}

/**
 * Another process inserted a row this batch meant to insert between our read and our write: a conversation
 * with the same (owner, external id) or id, or the same run. Nothing of the batch stayed; the retry sees it.
 * A batch never conflicts with itself (repeats are merged), so this cannot loop on the batch's own rows.
 */
function isInsertRace(error: unknown): boolean {
  return error instanceof ConflictError && (error.target.model === 'Conversation' || error.target.model === 'Run');
}
