import { z } from 'zod';

/** One window of a rate limit: at most `limit` in every `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
  /** As written (`50/hour`), for messages and headers. */
  label: string;
}

const units: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

/**
 * Parses a rate limit: a number (per minute), or windows joined by `;` as seed-style gateways write them:
 * `"100/hour"`, `"200/day;50/hour"`, `"10/second"`. Every window applies; the tightest one decides.
 * Returns an error message instead of windows when the text is not such a limit.
 */
export function parseRateSpec(spec: number | string): RateWindow[] | string {
  if (typeof spec === 'number') {
    return Number.isInteger(spec) && spec > 0 ? [{ limit: spec, windowMs: 60_000, label: `${spec}/minute` }] : 'expected a positive whole number';
  }
  const windows: RateWindow[] = [];
  for (const part of spec.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*\/\s*([a-z]+?)s?$/i.exec(part);
    const windowMs = m ? units[m[2]!.toLowerCase()] : undefined;
    const limit = m ? Number(m[1]) : 0;
    if (!m || windowMs === undefined || limit <= 0) {
      return `"${part}" is not a rate like "100/hour" (units: second, minute, hour, day)`;
    }
    windows.push({ limit, windowMs, label: `${limit}/${m[2]!.toLowerCase().replace(/s$/, '')}` });
  }
  return windows.length ? windows : 'expected a rate like 60, "100/hour" or "200/day;50/hour"';
}

/** A rate limit in config: a number per minute or a string of windows, parsed into RateWindow[]. */
export const rateSpecSchema = z.union([z.number(), z.string()]).transform((value, ctx): RateWindow[] => {
  const parsed = parseRateSpec(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});
