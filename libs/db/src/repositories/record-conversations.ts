import { newId } from '../ids.js';
import type { PrismaTx } from '../prisma-client.js';
import type { CompletedRunRecord } from '../repositories.js';
import { insertRows, type SqlDialect } from './bulk-insert.js';
import { conversationData } from './conversations.repository.js';
import { conversationTable } from './table-columns.js';

type RecordConversation = NonNullable<CompletedRunRecord['conversation']>;

/**
 * Decides, for every record that carries a conversation, which conversation it writes into, and creates the
 * ones that are new; returns the records with their run and messages pointing there. In batch order:
 * - the id exists and has the record's owner: that conversation;
 * - the id exists with another owner: never that one (a client could send someone else's id), but a
 *   conversation of the record's own, as if the id were new;
 * - else the owner's conversation with the same external id (another run of the same client conversation,
 *   e.g. Open WebUI's title request beside the answer), already stored or created earlier in this batch;
 * - else a new conversation, under the record's id unless that id belongs to someone else.
 * Three statements at most whatever the batch size: ids, (owner, external id) pairs, one insert. Also returns
 * the ids it created: those already carry `updatedAt = now`, so the caller need not touch them again.
 */
export async function resolveConversations(
  tx: PrismaTx,
  dialect: SqlDialect,
  records: readonly CompletedRunRecord[],
  now: Date,
): Promise<{ records: CompletedRunRecord[]; created: ReadonlySet<string> }> {
  const wanted = records.flatMap((r) => (r.conversation ? [r.conversation] : []));
  if (wanted.length === 0) return { records: [...records], created: new Set() };

  const stored = await tx.conversation.findMany({
    where: { id: { in: [...new Set(wanted.map((c) => c.id))] } },
    select: { id: true, ownerKeyId: true },
  });
  const ownerById = new Map(stored.map((c) => [c.id, c.ownerKeyId]));
  const twins = await findTwins(tx, wanted.filter((c) => !isOwnedBy(ownerById, c.id, ownerKey(c))));

  const created: ReturnType<typeof conversationData>[] = [];
  const resolved = records.map((record) => {
    const conversation = record.conversation;
    if (!conversation) return record;
    const owner = ownerKey(conversation);
    if (isOwnedBy(ownerById, conversation.id, owner)) return record;
    const pair = conversation.externalId ? pairKey(owner, conversation.externalId) : null;
    let id = pair ? twins.get(pair) : undefined;
    if (id === undefined) {
      id = ownerById.has(conversation.id) ? newId() : conversation.id;
      created.push(conversationData({ ...conversation, id }, now));
      ownerById.set(id, owner);
      if (pair) twins.set(pair, id);
    }
    return remap(record, conversation.id, id);
  });
  await insertRows(tx, dialect, conversationTable, created);
  return { records: resolved, created: new Set(created.map((c) => c.id)) };
}

/** Stored conversations by (owner, external id); the oldest when ownerless rows share one (NULLs are distinct). */
async function findTwins(tx: PrismaTx, conversations: RecordConversation[]): Promise<Map<string, string>> {
  const pairs = new Map<string, { ownerKeyId: string | null; externalId: string }>();
  for (const c of conversations) {
    if (c.externalId) pairs.set(pairKey(ownerKey(c), c.externalId), { ownerKeyId: ownerKey(c), externalId: c.externalId });
  }
  const twins = new Map<string, string>();
  if (pairs.size === 0) return twins;
  const rows = await tx.conversation.findMany({
    where: { OR: [...pairs.values()] },
    select: { id: true, ownerKeyId: true, externalId: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  for (const row of rows) {
    const key = pairKey(row.ownerKeyId, row.externalId ?? '');
    if (!twins.has(key)) twins.set(key, row.id);
  }
  return twins;
}

function ownerKey(conversation: RecordConversation): string | null {
  return conversation.ownerKeyId ?? null;
}

function isOwnedBy(ownerById: ReadonlyMap<string, string | null>, id: string, owner: string | null): boolean {
  return ownerById.has(id) && ownerById.get(id) === owner;
}

function pairKey(owner: string | null, externalId: string): string {
  return JSON.stringify([owner, externalId]);
}

function remap(record: CompletedRunRecord, from: string, to: string): CompletedRunRecord {
  if (from === to) return record;
  return {
    ...record,
    run: { ...record.run, conversationId: record.run.conversationId === from ? to : record.run.conversationId },
    messages: record.messages.map((m) => (m.conversationId === from ? { ...m, conversationId: to } : m)),
  };
}
