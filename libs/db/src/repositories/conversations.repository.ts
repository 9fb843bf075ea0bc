import type { ConversationRow, Page, PageQuery } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { ConversationsRepository, NewConversation } from '../repositories.js';
import { toConversationRow } from './mappers.js';
import { after, decodeCursor, pageSize, toPage } from './pagination.js';
import { guard } from './prisma-errors.js';

/** `undefined`: any owner; `null`: rows without an owner; a string: that owner's rows only. */
export function ownedBy(ownerKeyId: string | null | undefined): { ownerKeyId?: string | null } {
  return ownerKeyId === undefined ? {} : { ownerKeyId };
}

export class PrismaConversationsRepository implements ConversationsRepository {
  constructor(private readonly db: PrismaDb) {}

  create(conversation: NewConversation): Promise<ConversationRow> {
    return guard(async () => {
      const now = new Date();
      const row = await this.db.conversation.create({ data: conversationData(conversation, now) });
      return toConversationRow(row);
    }, 'Conversation');
  }

  async get(id: string, ownerKeyId?: string | null): Promise<ConversationRow | null> {
    const row = await this.db.conversation.findFirst({ where: { id, ...ownedBy(ownerKeyId) } });
    return row && toConversationRow(row);
  }

  async findByExternalId(ownerKeyId: string | null, externalId: string): Promise<ConversationRow | null> {
    // Not findUnique: a unique index treats NULL owners as distinct, so ownerless rows may share an external id.
    const row = await this.db.conversation.findFirst({
      where: { ownerKeyId, externalId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return row && toConversationRow(row);
  }

  async list(ownerKeyId: string | null | undefined, page: PageQuery): Promise<Page<ConversationRow>> {
    const limit = pageSize(page);
    const rows = await this.db.conversation.findMany({
      where: { ...ownedBy(ownerKeyId), ...after('updatedAt', decodeCursor('c', page.cursor), 'desc') },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage('c', rows, limit, (r) => ({ at: r.updatedAt, id: r.id }), toConversationRow);
  }

  async rename(id: string, title: string, ownerKeyId?: string | null): Promise<ConversationRow | null> {
    const { count } = await this.db.conversation.updateMany({ where: { id, ...ownedBy(ownerKeyId) }, data: { title, updatedAt: new Date() } });
    return count > 0 ? this.get(id) : null;
  }

  async delete(id: string, ownerKeyId?: string | null): Promise<boolean> {
    // Messages go with it (ON DELETE CASCADE); runs stay as usage records (ON DELETE SET NULL).
    const { count } = await this.db.conversation.deleteMany({ where: { id, ...ownedBy(ownerKeyId) } });
    return count > 0;
  }
}

export function conversationData(conversation: NewConversation, now: Date) {
  return {
    id: conversation.id ?? newId(),
    ownerKeyId: conversation.ownerKeyId ?? null,
    agentId: conversation.agentId ?? null,
    externalId: conversation.externalId ?? null,
    title: conversation.title ?? '',
    createdAt: now,
    updatedAt: now,
  };
}
