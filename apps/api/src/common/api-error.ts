import { type ApiErrorDetail, type ApiErrorType } from '@switchboard/contracts';

/** An error the exception filter turns into `{ error: { message, type, param, code, details? } }` with its status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    message: string,
    readonly details?: ApiErrorDetail[],
    readonly code: string | null = null,
  ) {
    super(message);
  }

  /** OpenAI's `param`: the first offending field of a 400, if it names one. */
  get param(): string | null {
    if (this.status !== 400) return null;
    return this.details?.find((d) => d.path !== '')?.path ?? null;
  }

  static badRequest(message: string, details?: ApiErrorDetail[]): ApiError {
    return new ApiError(400, 'invalid_request_error', message, details);
  }
  static notFound(what: string, id: string): ApiError {
    return new ApiError(404, 'not_found_error', `${what} ${id} not found`);
  }
  static conflict(message: string): ApiError {
    return new ApiError(409, 'conflict_error', message);
  }
}

/** The status's error type, for errors that arrive with only a status (Nest's and Fastify's own). */
export function errorTypeForStatus(status: number): ApiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'service_unavailable_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** libs/db's errors that reach the API as client errors. */
export type DbClientErrorName = 'ConflictError' | 'NotFoundError' | 'InvalidCursorError' | 'InvalidDataError';

/** Database errors are recognised by name so that any copy of libs/db (source or build) matches. */
export function isNamedError(error: unknown, name: DbClientErrorName): error is Error {
  return error instanceof Error && error.name === name;
}
