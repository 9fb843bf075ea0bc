import { ApiRequestError } from '../api/errors';

/** The API's field errors by field path (`details`, else `param`), to show beside each input. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiRequestError)) return {};
  const out: Record<string, string> = {};
  for (const d of error.details) out[d.path.split('.')[0] ?? d.path] ??= d.message;
  return out;
}

/** A number input's value for the API: empty means "none" (null). */
export function numberOrNull(value: string): number | null {
  return value.trim() === '' ? null : Number(value);
}
