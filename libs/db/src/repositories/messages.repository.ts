import type { MessageRow, Page, PageQuery } from '../entities.js';
import { newId } from '../ids.js';
import type { PrismaDb } from '../prisma-client.js';
import type { MessagesRepository, NewMessage } from '../repositories.js';
import { jsonOrNull, toMessageRow } from './mappers.js';
import { after, decodeCursor, pageSize, toPage } from './pagination.js';
import { guard } from './prisma-errors.js';

export class PrismaMessagesRepository implements MessagesRepository {
  constructor(private readonly db: PrismaDb) {}

  append(conversationId: string, messages: Omit<NewMessage, 'conversationId'>[]): Promise<MessageRow[]> {
    return guard(async () => {
      const now = new Date();
      const data = messageData(
        messages.map((m) => ({ ...m, conversationId })),
        now,
      );
      // The conversation update comes first: it fails with "not found" for a missing conversation.
      await this.db.$transaction([
        this.db.conversation.update({ where: { id: conversationId }, data: { updatedAt: now } }),
        this.db.message.createMany({ data }),
      ]);
      return data.map((d, i) => ({
        id: d.id,
        conversationId,
        role: d.role,
        content: d.content,
        toolCalls: messages[i]?.toolCalls ?? null,
        toolCallId: d.toolCallId,
        runId: d.runId,
        promptTokens: d.promptTokens,
        completionTokens: d.completionTokens,
        createdAt: now,
      }));
    }, `Conversation ${conversationId}`);
  }

  async list(conversationId: string, page: PageQuery): Promise<Page<MessageRow>> {
    const limit = pageSize(page);
    const rows = await this.db.message.findMany({
      where: { conversationId, ...after('createdAt', decodeCursor('m', page.cursor), 'asc') },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    return toPage('m', rows, limit, (r) => ({ at: r.createdAt, id: r.id }), toMessageRow);
  }
}

/**
 * One timestamp for the whole batch and ids from newId(), which increase within a process even inside one
 * millisecond: (createdAt, id) order is the given order. Callers that pass their own ids must make them with
 * newId(), in order.
 */
export function messageData(messages: NewMessage[], now: Date) {
  return messages.map((m) => ({
    id: m.id ?? newId(),
    conversationId: m.conversationId,
    role: m.role,
    content: m.content,
    toolCalls: jsonOrNull(m.toolCalls ?? null),
    toolCallId: m.toolCallId ?? null,
    runId: m.runId ?? null,
    promptTokens: m.promptTokens ?? null,
    completionTokens: m.completionTokens ?? null,
    createdAt: now,
  }));
}
