/** Largest wait we honour; a server asking for more is treated as "much later", not obeyed blindly. */
const maxRetryAfterMs = 10 * 60_000;

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Milliseconds to wait before a retry, from `retry-after-ms` (OpenAI's, more precise) or `Retry-After`
 * (delta-seconds or an HTTP date). Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.min(Math.round(value), maxRetryAfterMs);
  }
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.min(Math.round(Number(raw) * 1000), maxRetryAfterMs);
  // An HTTP date names its month; without this, Date.parse would read "-5" as a year.
  const date = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), maxRetryAfterMs);
}
