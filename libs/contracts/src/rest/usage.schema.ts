import { z } from 'zod';
import { queryDate, timestampSchema } from './pagination.schema.js';

/** What usage can be grouped by: the run's API key, the model that answered, the UTC day the run was made. */
export const usageDimensions = ['key', 'model', 'day'] as const;
export type UsageDimensionName = (typeof usageDimensions)[number];

const dimension = usageDimensions.join('|');

/** How far back `GET /api/usage` looks when `from` is not given. */
export const USAGE_DEFAULT_DAYS = 30;

/**
 * `GET /api/usage`: tokens, cost and runs summed over the runs created in [from, to). An admin sees every key's
 * runs, any other key only its own.
 */
export const usageQuerySchema = z
  .object({
    /** Runs created at or after (ISO 8601 date or date-time); default `to` minus 30 days. */
    from: queryDate.optional(),
    /** Runs created before (ISO 8601 date or date-time); default now. */
    to: queryDate.optional(),
    /** Comma-separated dimensions (`key`, `model`, `day`), one row per combination that has runs. */
    group_by: z
      .string()
      .regex(new RegExp(`^(${dimension})(,(${dimension}))*$`), `expected a comma-separated list of ${usageDimensions.join(', ')}`)
      .default('key,model,day')
      .transform((v) => [...new Set(v.split(','))] as UsageDimensionName[]),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });
export type UsageQueryParams = z.output<typeof usageQuerySchema>;

/** One group of runs. A dimension not grouped by is null in every row. */
export const usageRowSchema = z
  .object({
    /** The key the runs were made with; null also for runs without a key (a deleted key, a key from config). */
    api_key_id: z.string().nullable(),
    /** The key's name and prefix, while the key exists. */
    key_name: z.string().nullable(),
    key_prefix: z.string().nullable(),
    /** `<provider>/<model>` that answered; the requested model (an agent's name, `auto`) for runs nobody answered. */
    model: z.string().nullable(),
    /** `YYYY-MM-DD`, the UTC day. */
    day: z.string().nullable(),
    runs: z.number().int(),
    /** Runs answered from the response cache. */
    cached_runs: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    cost: z.number(),
  })
  .meta({ id: 'UsageRow' });
export type UsageRowDto = z.output<typeof usageRowSchema>;

export const usageReportSchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    group_by: z.array(z.enum(usageDimensions)),
    /** Ordered by day, key id, model (nulls first). */
    data: z.array(usageRowSchema),
  })
  .meta({ id: 'UsageReport' });
export type UsageReportDto = z.output<typeof usageReportSchema>;
