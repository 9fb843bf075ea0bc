import { z } from 'zod';
import { pageSchema, timestampSchema } from './pagination.schema.js';

/**
 * API keys. The secret (`sb-` and 40 url-safe characters, made by `generateApiKey`) is shown once, in the
 * response that creates it; only its sha256 and its first characters (`prefix`, to tell keys apart) are stored.
 */

export const apiKeyRoles = ['admin', 'user'] as const;

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: z.enum(apiKeyRoles),
  /** Requests per minute; null means the configured default. */
  rate_limit_per_minute: z.number().int().nullable(),
  budget_tokens: z.number().int().nullable(),
  budget_cost: z.number().nullable(),
  budget_period: z.enum(['day', 'month']).nullable(),
  spent_tokens: z.number().int(),
  spent_cost: z.number(),
  created_at: timestampSchema,
  last_used_at: timestampSchema.nullable(),
  /** Set once the key is revoked; a revoked key authenticates nothing. */
  revoked_at: timestampSchema.nullable(),
}).meta({ id: 'ApiKey' });
export type ApiKeyDto = z.output<typeof apiKeySchema>;

export const createApiKeyRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    role: z.enum(apiKeyRoles).default('user'),
    rate_limit_per_minute: z.number().int().positive().optional(),
    budget_tokens: z.number().int().positive().optional(),
    budget_cost: z.number().positive().optional(),
    budget_period: z.enum(['day', 'month']).optional(),
  })
  .refine((k) => (k.budget_tokens === undefined && k.budget_cost === undefined) || k.budget_period !== undefined, {
    message: 'a budget needs budget_period',
    path: ['budget_period'],
  });
export type CreateApiKeyRequest = z.output<typeof createApiKeyRequestSchema>;

/**
 * Edits a key's limits and budget: a field left out stays as it is, `null` clears it (the configured default
 * then applies). A budget still needs its period, whichever of the two the request sets.
 */
export const updateApiKeyRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    rate_limit_per_minute: z.number().int().positive().nullable().optional(),
    budget_tokens: z.number().int().positive().nullable().optional(),
    budget_cost: z.number().positive().nullable().optional(),
    budget_period: z.enum(['day', 'month']).nullable().optional(),
  })
  .refine((k) => Object.keys(k).length > 0, { message: 'nothing to change' });
export type UpdateApiKeyRequest = z.output<typeof updateApiKeyRequestSchema>;

/** The create response: the stored key plus the secret, which no later response contains. */
export const createdApiKeySchema = apiKeySchema
  .extend({
    /** The secret. Shown here only: store it now. */
    key: z.string(),
  })
  .meta({ id: 'CreatedApiKey' });
export type CreatedApiKeyDto = z.output<typeof createdApiKeySchema>;

export const apiKeyPageSchema = pageSchema(apiKeySchema).meta({ id: 'ApiKeyPage' });
