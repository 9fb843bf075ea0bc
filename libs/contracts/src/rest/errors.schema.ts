import { z } from 'zod';

/**
 * The one error body of the REST API, in OpenAI's shape like every /v1 error: `message` is for people; `type`
 * is coarse and stable for clients to branch on; `param` names the offending field (the first one of a 400);
 * `code` is a finer machine-readable reason when there is one (`invalid_api_key`, ...). `details` adds every
 * field error of a 400 so a form can show each next to its field.
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
    param: z.string().nullable(),
    code: z.string().nullable(),
    details: z.array(apiErrorDetailSchema).optional(),
  }),
}).meta({ id: 'ApiError' });
export type ApiErrorBody = z.output<typeof apiErrorSchema>;
