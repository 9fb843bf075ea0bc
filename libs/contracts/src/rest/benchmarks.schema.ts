import { z } from 'zod';
import { pageSchema, timestampSchema } from './pagination.schema.js';

/**
 * Benchmarks of models (`POST /api/benchmarks`, `switchboard bench`): one prompt set run against chosen
 * models, local and remote side by side, through the worker's own model calls. Each result has speed (time to
 * first token, decode tokens/s, latency), the memory of the process that served a local model, tokens and cost,
 * and a quality score against reference answers; the benchmark recommends a model per configured agent.
 */

export const benchmarkStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;
export type BenchmarkStatus = (typeof benchmarkStatuses)[number];

export const benchmarkPromptSets = ['standard'] as const;

export const createBenchmarkRequestSchema = z.strictObject({
  /** Model ids as /v1 takes them (`local/qwen2.5-0.5b`, `openrouter/meta-llama/llama-3.1-8b-instruct`, `auto`). */
  models: z.array(z.string().min(1).max(191)).min(1).max(8),
  /**
   * Whose answers are the reference for quality: token-F1 of each answer against this model's answer to the
   * same prompt. Run once more if it is not among `models`. Unset: each answer is checked for the prompt set's
   * expected answer (contains match).
   */
  reference_model: z.string().min(1).max(191).optional(),
  prompt_set: z.enum(benchmarkPromptSets).default('standard'),
  /** Longest answer per prompt, in tokens. */
  max_tokens: z.number().int().min(1).max(1024).default(64),
});
export type CreateBenchmarkRequest = z.output<typeof createBenchmarkRequestSchema>;

const statsSchema = z.object({ p50: z.number(), max: z.number() });

export const benchmarkAnswerSchema = z.object({
  prompt_id: z.string(),
  /** The answer, cut at 500 characters. */
  text: z.string(),
  ttft_ms: z.number().nullable(),
  latency_ms: z.number(),
  completion_tokens: z.number().int(),
  /** This answer's quality (0..1), by the result's quality method. */
  quality: z.number().nullable(),
  error: z.string().nullable(),
});

export const benchmarkResultSchema = z.object({
  model: z.string(),
  /** Who answered: the provider and its model. */
  provider: z.string().nullable(),
  provider_model: z.string().nullable(),
  local: z.boolean(),
  /** Only the reference: run to score the others, not asked for. */
  reference_only: z.boolean(),
  prompts: z.number().int(),
  errors: z.number().int(),
  /** The first error, when some prompts failed. */
  error: z.string().nullable(),
  /** Time from the call to the first text, over the prompts that answered. */
  ttft_ms: statsSchema.nullable(),
  /** Whole-call time. */
  latency_ms: statsSchema.nullable(),
  /** Completion tokens divided by the time after the first token (decode speed), over all answers. */
  tokens_per_second: z.number().nullable(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  /** From the provider's `pricing` (0 when unpriced). */
  cost: z.number(),
  /**
   * Largest resident set size (RSS) of the process that served the model, sampled every 50 ms while this
   * model's calls ran; local models only (the worker process runs them), null for remote ones.
   */
  peak_rss_bytes: z.number().int().nullable(),
  quality: z.object({
    /** `token-f1`: against the reference model's answers; `contains`: the expected answer appears in the answer. */
    method: z.enum(['token-f1', 'contains']),
    /** Mean over the prompts (a failed prompt scores 0); null when the reference itself failed everywhere. */
    score: z.number().nullable(),
  }),
  answers: z.array(benchmarkAnswerSchema),
});
export type BenchmarkResultDto = z.output<typeof benchmarkResultSchema>;

export const benchmarkRecommendationSchema = z.object({
  agent: z.string(),
  /** Null when no benchmarked model qualifies for the agent. */
  model: z.string().nullable(),
  reason: z.string(),
});
export type BenchmarkRecommendationDto = z.output<typeof benchmarkRecommendationSchema>;

export const benchmarkSchema = z
  .object({
    id: z.string(),
    status: z.enum(benchmarkStatuses),
    models: z.array(z.string()),
    reference_model: z.string().nullable(),
    prompt_set: z.string(),
    max_tokens: z.number().int(),
    results: z.array(benchmarkResultSchema),
    recommendations: z.array(benchmarkRecommendationSchema),
    error: z.string().nullable(),
    created_at: timestampSchema,
    started_at: timestampSchema.nullable(),
    finished_at: timestampSchema.nullable(),
  })
  .meta({ id: 'Benchmark' });
export type BenchmarkDto = z.output<typeof benchmarkSchema>;

export const benchmarkListSchema = pageSchema(benchmarkSchema).meta({ id: 'BenchmarkList' });
export type BenchmarkList = z.output<typeof benchmarkListSchema>;
