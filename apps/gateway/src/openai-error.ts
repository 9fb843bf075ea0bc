import type { OpenAIErrorBody } from '@switchboard/contracts';

/** An error answered in OpenAI's own shape, with the status a client's SDK maps to the right exception. */
export class OpenAIError extends Error {
  override readonly name = 'OpenAIError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Seconds, for 429 and 503. */
    readonly retryAfter?: number,
    /** More response headers (x-ratelimit-* on a 429). */
    readonly headers?: Record<string, string>,
    /** Every field error of a 400 (`param` names the first), so a form can show each next to its field. */
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    const error = { message: this.message, type: this.type, param: this.param, code: this.code };
    return { error: this.details ? { ...error, details: this.details } : error };
  }

  static invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAIError {
    return new OpenAIError(400, message, 'invalid_request_error', code, param);
  }
  static notFound(message: string, code: string): OpenAIError {
    return new OpenAIError(404, message, 'invalid_request_error', code);
  }
  static tooLarge(limitBytes: number): OpenAIError {
    return new OpenAIError(413, `Request body is larger than the limit of ${limitBytes} bytes.`, 'invalid_request_error', 'request_too_large');
  }
  static rateLimited(message: string, retryAfter: number, headers?: Record<string, string>): OpenAIError {
    return new OpenAIError(429, message, 'rate_limit_error', 'rate_limit_exceeded', null, retryAfter, headers);
  }
  static unavailable(message: string, retryAfter = 1): OpenAIError {
    return new OpenAIError(503, message, 'service_unavailable', 'service_unavailable', null, retryAfter);
  }
}
