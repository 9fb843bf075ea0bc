import { z } from 'zod';

/**
 * The one error body of the REST API (the gateway's OpenAI-shaped errors use the same envelope).
 * `type` is coarse and stable for clients to branch on; `message` is for people; `details` lists field errors
 * of a 400 so a form can show each next to its field.
 */
export const apiErrorTypes = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'conflict_error',
  'rate_limit_error',
  'server_error',
  'service_unavailable_error',
] as const;
export type ApiErrorType = (typeof apiErrorTypes)[number];

export const apiErrorDetailSchema = z.object({
  /** Dotted path of the offending field (`budgets.sync.max_iterations`); empty for the body as a whole. */
  path: z.string(),
  message: z.string(),
});
export type ApiErrorDetail = z.output<typeof apiErrorDetailSchema>;

export const apiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.enum(apiErrorTypes),
    details: z.array(apiErrorDetailSchema).optional(),
  }),
}).meta({ id: 'ApiError' });
export type ApiErrorBody = z.output<typeof apiErrorSchema>;
