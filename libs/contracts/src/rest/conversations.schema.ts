import { z } from 'zod';
import { pageSchema, timestampSchema } from './pagination.schema.js';

/**
 * Conversations belong to the API key that created them; a key sees only its own, admins see all.
 */

export const conversationSchema = z.object({
  id: z.string(),
  title: z.string(),
  agent_id: z.string().nullable(),
  /** A client's own id, such as Open WebUI's chat id; unique per owner. */
  external_id: z.string().nullable(),
  /** The API key that owns it; null for the shared key, the config admin key or an open install. */
  owner_key_id: z.string().nullable(),
  created_at: timestampSchema,
  updated_at: timestampSchema,
}).meta({ id: 'Conversation' });
export type ConversationDto = z.output<typeof conversationSchema>;

const title = z.string().trim().max(200);

export const createConversationRequestSchema = z.strictObject({
  title: title.default(''),
  /** The agent that answers in this conversation. */
  agent_id: z.string().min(1).optional(),
  external_id: z.string().min(1).max(200).optional(),
});
export type CreateConversationRequest = z.output<typeof createConversationRequestSchema>;

export const updateConversationRequestSchema = z.strictObject({
  title,
});
export type UpdateConversationRequest = z.output<typeof updateConversationRequestSchema>;

export const conversationPageSchema = pageSchema(conversationSchema).meta({ id: 'ConversationPage' });
