/** An error as the API and the gateway send it (`{ error: { message, type, code?, details? } }`), thrown by the client. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    /** Field errors, each with the dotted path of the field it names. */
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** From a parsed error body, or a plain description when the body was not one. */
  static from(status: number, body: unknown): ApiRequestError {
    const e = (body as { error?: { message?: unknown; type?: unknown; code?: unknown; details?: unknown } } | null)?.error;
    if (e && typeof e.message === 'string') {
      return new ApiRequestError(
        status,
        e.message,
        typeof e.type === 'string' ? e.type : 'error',
        typeof e.code === 'string' ? e.code : null,
        Array.isArray(e.details) ? (e.details as { path: string; message: string }[]) : [],
      );
    }
    return new ApiRequestError(status, `The server answered ${status}.`, 'error');
  }
}

/** What to show for any failure: the server's message, or why the request never got an answer. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  if (error instanceof TypeError) return `Could not reach the server (${error.message}).`;
  return error instanceof Error ? error.message : String(error);
}
