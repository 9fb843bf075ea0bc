import { ConflictError } from '../errors.js';
import type { PrismaDb, PrismaTx } from '../prisma-client.js';
import type { CompletedRunRecord } from '../repositories.js';
import { addSpend } from './api-keys.repository.js';
import { conversationData } from './conversations.repository.js';
import { defined, jsonOrNull } from './mappers.js';
import { messageData } from './messages.repository.js';
import { guard, isWriteConflict } from './prisma-errors.js';
import { providerCallData } from './provider-calls.repository.js';
import { runData } from './runs.repository.js';

/**
 * Writes everything a finished run leaves behind in one transaction: either the whole record is there
 * (conversation, run, messages, provider calls, spend) or none of it is, and the job can simply be retried.
 *
 * Rows that many runs share (the API key, the conversation) are written FIRST. An insert that references a
 * row takes a shared lock on it (MySQL foreign-key checks), and two transactions that each hold a shared lock
 * and then want to update the row deadlock; taking the exclusive lock first makes them queue instead. A
 * deadlock or write conflict that still happens is retried.
 */
export async function recordRun(db: PrismaDb, record: CompletedRunRecord): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await guard(() => db.$transaction((tx) => writeRecord(tx, record)));
      return;
    } catch (error) {
      if (!(isWriteConflict(error) || isExternalIdRace(error, record)) || attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}

async function writeRecord(tx: PrismaTx, given: CompletedRunRecord): Promise<void> {
  let record = given;
  const now = new Date();
  if (record.spend) await addSpend(tx, record.spend.apiKeyId, record.spend.tokens, record.spend.cost);

  if (record.conversation) record = await joinOrCreateConversation(tx, record, record.conversation, now);
  const touched = [...new Set(record.messages.map((m) => m.conversationId))].sort();
  if (touched.length > 0) await tx.conversation.updateMany({ where: { id: { in: touched } }, data: { updatedAt: now } });

  // An existing run (made by the gateway) gets the fields the record carries; a new one gets defaults too.
  const { id: _id, output, ...fields } = record.run;
  await tx.run.upsert({
    where: { id: record.run.id },
    create: runData(record.run, now),
    update: defined({ ...fields, output: jsonOrNull(output), updatedAt: now }),
  });
  if (record.messages.length > 0) await tx.message.createMany({ data: messageData(record.messages, now) });
  if (record.providerCalls.length > 0) await tx.providerCall.createMany({ data: providerCallData(record.providerCalls, now) });
}

/**
 * The record's new conversation is created unless it exists. When another run of the same client conversation
 * (same owner and external id, e.g. Open WebUI's title request beside the answer) created it first, the record
 * joins that conversation instead of failing on the unique (owner, external id): ids are remapped.
 */
async function joinOrCreateConversation(
  tx: PrismaTx,
  record: CompletedRunRecord,
  conversation: NonNullable<CompletedRunRecord['conversation']>,
  now: Date,
): Promise<CompletedRunRecord> {
  if (await tx.conversation.findUnique({ where: { id: conversation.id }, select: { id: true } })) return record;
  const externalId = conversation.externalId ?? null;
  const twin = externalId
    ? await tx.conversation.findFirst({ where: { ownerKeyId: conversation.ownerKeyId ?? null, externalId }, select: { id: true } })
    : null;
  if (!twin) {
    await tx.conversation.create({ data: conversationData(conversation, now) });
    return record;
  }
  const remap = (id: string | null | undefined) => (id === conversation.id ? twin.id : id);
  return {
    ...record,
    run: { ...record.run, conversationId: remap(record.run.conversationId) },
    messages: record.messages.map((m) => ({ ...m, conversationId: remap(m.conversationId) ?? m.conversationId })),
  };
}

/** Two runs created the same client conversation at once: the retry joins the one that won. */
function isExternalIdRace(error: unknown, record: CompletedRunRecord): boolean {
  return error instanceof ConflictError && error.target.model === 'Conversation' && Boolean(record.conversation?.externalId);
}
