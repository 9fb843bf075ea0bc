import { z } from 'zod';
import { runStatuses } from '../run-events.js';
import { timestampSchema } from './pagination.schema.js';

/**
 * A run as its owner (or an admin) sees it: where it stands, who answered, what it used, why it failed.
 * `heartbeat_at` is the last moment a worker said it was still on it.
 */
export const runSchema = z
  .object({
    id: z.string(),
    status: z.enum(runStatuses as [string, ...string[]]),
    mode: z.enum(['sync', 'background']),
    /** The model the client asked for (`auto`, an agent, `provider/model`). */
    model: z.string(),
    provider: z.string().nullable(),
    provider_model: z.string().nullable(),
    conversation_id: z.string().nullable(),
    attempt: z.number().int(),
    usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
    cost: z.number(),
    finish_reason: z.string().nullable(),
    error: z.string().nullable(),
    created_at: timestampSchema,
    started_at: timestampSchema.nullable(),
    finished_at: timestampSchema.nullable(),
    heartbeat_at: timestampSchema.nullable(),
    /**
     * Structured results: for a pipeline `{ pipeline, stages: [{ stage, input, answers, votes?, output, ... }] }`,
     * for an agent `{ iterations, tool_steps, stopped_by? }`; null for a plain model call.
     */
    output: z.unknown().nullable(),
    /**
     * Every provider attempt the router made, in order: retries, fallbacks, skipped targets (circuit open, over
     * a rate limit, server down) and cache hits. Empty while the run has no record yet.
     */
    attempts: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        outcome: z.enum(['ok', 'error', 'aborted', 'skipped']),
        error: z.string().nullable(),
        latency_ms: z.number().int(),
        ttft_ms: z.number().int().nullable(),
        cached: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'Run' });
export type RunDto = z.output<typeof runSchema>;
