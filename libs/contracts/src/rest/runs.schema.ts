import { z } from 'zod';
import { runStatuses } from '../run-events.js';
import { pageQuerySchema, pageSchema, queryDate, timestampSchema } from './pagination.schema.js';

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

export const runPageSchema = pageSchema(runSchema).meta({ id: 'RunPage' });

/**
 * `GET /api/runs`: the caller's runs (an admin's: everyone's), newest first, with the shared cursor pagination.
 * Every filter given must match.
 */
export const runListQuerySchema = pageQuerySchema.extend({
  status: z.enum(runStatuses as [string, ...string[]]).optional(),
  /** Runs asked of this agent or pipeline (its name, as the client sent it as `model`). */
  agent: z.string().min(1).max(191).optional(),
  /**
   * Runs asked for this model id (`auto`, `<provider>/<model>`), or answered by this `<provider>/<model>`
   * (an `auto` run answered by `fake/m1` matches `fake/m1`).
   */
  model: z.string().min(1).max(383).optional(),
  conversation_id: z.string().min(1).max(36).optional(),
  /** Created at or after (ISO 8601 date or date-time). */
  from: queryDate.optional(),
  /** Created before (ISO 8601 date or date-time). */
  to: queryDate.optional(),
});
export type RunListQuery = z.output<typeof runListQuerySchema>;
