import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError } from '../language-model.js';
import type { CallControl } from '../call-control.js';
import { parseRetryAfter } from './retry-after.js';

export interface ErrorContext {
  provider: string;
  /** Removed from every message: upstreams are known to echo the key they were sent. */
  apiKey: string | undefined;
}

function redact(message: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? message.split(secret).join('***') : message;
}

/**
 * Loggers serialise an error's cause chain, so a cause that mentions the key (an upstream 401 echoing it)
 * is replaced by a redacted copy.
 */
function safeCause(cause: unknown, secret: string | undefined): unknown {
  if (!secret || secret.length < 4 || !(cause instanceof Error)) return cause;
  const body = cause instanceof APIError ? JSON.stringify(cause.error ?? null) : '';
  if (!cause.message.includes(secret) && !body.includes(secret)) return cause;
  const copy = new Error(redact(cause.message, secret));
  copy.name = cause.name;
  return copy;
}

function fail(ctx: ErrorContext, message: string, details: Omit<ProviderError['details'], 'provider'>): ProviderError {
  return new ProviderError(redact(`${ctx.provider}: ${message}`, ctx.apiKey), {
    provider: ctx.provider,
    ...details,
    cause: safeCause(details.cause, ctx.apiKey),
  });
}

/** The error for a call our side cut short (caller abort or one of our timeouts). */
export function cutError(call: CallControl, ctx: ErrorContext, cause?: unknown): ProviderError {
  switch (call.reason) {
    case 'first-token-timeout':
      return fail(ctx, `no response within first_token_timeout_ms (${call.firstTokenTimeoutMs} ms)`, { isRetryable: true, cause });
    case 'idle-timeout':
      return fail(ctx, `the stream stalled for idle_timeout_ms (${call.idleTimeoutMs} ms)`, { isRetryable: true, cause });
    case 'timeout':
      return fail(ctx, `call exceeded timeout_ms (${call.timeoutMs} ms)`, { isRetryable: true, cause });
    case 'abort':
    case undefined:
      return fail(ctx, 'call aborted', { isRetryable: false, isAbort: true, cause });
  }
}

/** Status from an error event inside a stream: OpenRouter puts the HTTP-like status in `error.code`. */
function statusOfStreamError(error: APIError): number | undefined {
  const code = (error.error as { code?: unknown } | undefined)?.code ?? error.code;
  const status = typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : undefined;
  return status !== undefined && status >= 400 && status <= 599 ? status : undefined;
}

/** Maps anything the SDK or the transport throws to a ProviderError that says whether retrying can help. */
export function toProviderError(error: unknown, call: CallControl, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  if (call.reason !== undefined || error instanceof APIUserAbortError) return cutError(call, ctx, error);
  if (error instanceof APIConnectionTimeoutError) {
    return fail(ctx, 'upstream did not answer in time', { isRetryable: true, cause: error });
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return fail(ctx, `connection failed (${error.message}${cause})`, { isRetryable: true, cause: error });
  }
  if (error instanceof APIError) {
    if (error.status !== undefined) {
      return fail(ctx, `upstream answered ${error.message}`, {
        status: error.status,
        isRetryable: ProviderError.isRetryableStatus(error.status),
        retryAfterMs: parseRetryAfter(error.headers),
        cause: error,
      });
    }
    const status = statusOfStreamError(error);
    return fail(ctx, `upstream sent an error mid-stream: ${error.message}`, {
      status,
      isRetryable: status === undefined || ProviderError.isRetryableStatus(status),
      cause: error,
    });
  }
  // undici's "terminated" (connection dropped while reading the body), a malformed chunk, ...
  const message = error instanceof Error ? error.message : String(error);
  return fail(ctx, `stream failed (${message})`, { isRetryable: true, cause: error });
}
