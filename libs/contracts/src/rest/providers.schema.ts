import { z } from 'zod';

/** One provider as the operator sees it: its circuit, its server's health probe and its recent traffic. */
export const providerStatusSchema = z
  .object({
    name: z.string(),
    type: z.enum(['llama-cpp', 'openai-compatible']),
    /** Enabled in config and not switched off at runtime (`PATCH /api/providers/:name`). */
    enabled: z.boolean(),
    /** Switched off by an admin at runtime (every gateway and worker skips it within a second). */
    disabled_at_runtime: z.boolean(),
    models: z.array(z.string()),
    circuit: z.object({
      state: z.enum(['closed', 'open', 'half-open']),
      /** While open: when the cooldown ends. */
      open_until: z.string().nullable(),
    }),
    /** The last background probe (`health_check` providers only); null when not probed. */
    health: z
      .object({ ok: z.boolean(), checked_at: z.string(), latency_ms: z.number().nullable(), error: z.string().nullable() })
      .nullable(),
    /** Calls in the last `window_minutes` minutes (every router attempt counts; skipped ones do not). */
    recent: z.object({
      window_minutes: z.number().int(),
      calls: z.number().int(),
      errors: z.number().int(),
      error_rate: z.number().nullable(),
      avg_latency_ms: z.number().nullable(),
      avg_ttft_ms: z.number().nullable(),
    }),
  })
  .meta({ id: 'ProviderStatus' });
export type ProviderStatusDto = z.output<typeof providerStatusSchema>;

export const providerStatusListSchema = z.object({ data: z.array(providerStatusSchema) }).meta({ id: 'ProviderStatusList' });
export type ProviderStatusListDto = z.output<typeof providerStatusListSchema>;

/** Switches a provider off or back on at runtime, for every gateway and worker (a provider off in config stays off). */
export const updateProviderRequestSchema = z.strictObject({ enabled: z.boolean() });
export type UpdateProviderRequest = z.output<typeof updateProviderRequestSchema>;
