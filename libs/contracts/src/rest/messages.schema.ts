import { z } from 'zod';
import { toolCallSchema } from '../openai.schema.js';
import { pageSchema, timestampSchema } from './pagination.schema.js';

/** Messages of a conversation, oldest first. Roles and tool calls follow the OpenAI chat format. */

export const messageRoles = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

export const messageSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  role: z.enum(messageRoles),
  content: z.string(),
  tool_calls: z.array(toolCallSchema).nullable(),
  tool_call_id: z.string().nullable(),
  /** The run that produced it, for assistant and tool messages. */
  run_id: z.string().nullable(),
  prompt_tokens: z.number().int().nullable(),
  completion_tokens: z.number().int().nullable(),
  created_at: timestampSchema,
}).meta({ id: 'Message' });
export type MessageDto = z.output<typeof messageSchema>;

export const newMessageSchema = z
  .strictObject({
    role: z.enum(messageRoles),
    content: z.string(),
    tool_calls: z.array(toolCallSchema).min(1).optional(),
    /** Required for `tool` messages: the call this answers. */
    tool_call_id: z.string().min(1).optional(),
  })
  .refine((m) => m.role !== 'tool' || m.tool_call_id !== undefined, {
    message: 'tool messages need tool_call_id',
    path: ['tool_call_id'],
  })
  .refine((m) => m.role === 'assistant' || m.tool_calls === undefined, {
    message: 'only assistant messages carry tool_calls',
    path: ['tool_calls'],
  });

/** Appended in the order given. */
export const appendMessagesRequestSchema = z.strictObject({
  messages: z.array(newMessageSchema).min(1).max(100),
});
export type AppendMessagesRequest = z.output<typeof appendMessagesRequestSchema>;

export const appendMessagesResponseSchema = z.object({ data: z.array(messageSchema) }).meta({ id: 'AppendedMessages' });
export type AppendMessagesResponse = z.output<typeof appendMessagesResponseSchema>;

export const messagePageSchema = pageSchema(messageSchema).meta({ id: 'MessagePage' });
