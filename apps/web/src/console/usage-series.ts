import type { UsageRowDto } from '@switchboard/contracts';

/**
 * The Usage page's shapes, made from the one per-key-model-day report: a day-by-day series per model, cost per
 * key, and a row per key and model. Pure functions, so the sums are tested without a browser.
 */

const DAY_MS = 86_400_000;

/** The last `days` UTC days up to and including today's: `to` is the next UTC midnight. */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
}

/** Every UTC day (`YYYY-MM-DD`) in [from, to), so days without runs still have their place on the chart. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * How a key is named on the page: its name. Runs without a key (the keys from config, the anonymous caller, and
 * keys deleted since, whose runs lose the link) are "(no key)"; an id without a name (a key deleted while the
 * report was read) shows as the id.
 */
export function keyLabel(row: Pick<UsageRowDto, 'api_key_id' | 'key_name'>): string {
  return row.key_name ?? row.api_key_id ?? '(no key)';
}

export interface DayPoint {
  day: string;
  /** Total tokens per model that day (absent: none). */
  tokens: Record<string, number>;
}

/** Tokens per day stacked by model: the models in order of their total tokens (largest first), one point per day. */
export function tokensPerDay(rows: readonly UsageRowDto[], days: readonly string[]): { models: string[]; points: DayPoint[] } {
  const byModel = new Map<string, number>();
  const byDay = new Map<string, Record<string, number>>(days.map((d) => [d, {}]));
  for (const row of rows) {
    const model = row.model ?? '(all models)';
    byModel.set(model, (byModel.get(model) ?? 0) + row.total_tokens);
    const point = byDay.get(row.day ?? '');
    if (point) point[model] = (point[model] ?? 0) + row.total_tokens;
  }
  const models = [...byModel.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([m]) => m);
  return { models, points: [...byDay.entries()].map(([day, tokens]) => ({ day, tokens })) };
}

export interface KeyModelUsage {
  id: string;
  key: string;
  model: string;
  runs: number;
  cachedRuns: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: number;
}

/** One row per key and model over the whole range, most expensive (then most tokens) first. */
export function perKeyModel(rows: readonly UsageRowDto[]): KeyModelUsage[] {
  const groups = new Map<string, KeyModelUsage>();
  for (const row of rows) {
    const key = keyLabel(row);
    const model = row.model ?? '(all models)';
    const id = `${row.api_key_id ?? ''}\u0000${model}`;
    const g = groups.get(id) ?? { id, key, model, runs: 0, cachedRuns: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 };
    g.runs += row.runs;
    g.cachedRuns += row.cached_runs;
    g.promptTokens += row.prompt_tokens;
    g.completionTokens += row.completion_tokens;
    g.totalTokens += row.total_tokens;
    g.cost += row.cost;
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => b.cost - a.cost || b.totalTokens - a.totalTokens || (a.id < b.id ? -1 : 1));
}

/** Cost and tokens per key, most expensive first. */
export function costPerKey(rows: readonly UsageRowDto[]): { key: string; cost: number; tokens: number }[] {
  const keys = new Map<string, { key: string; cost: number; tokens: number }>();
  for (const row of rows) {
    const id = row.api_key_id ?? '';
    const k = keys.get(id) ?? { key: keyLabel(row), cost: 0, tokens: 0 };
    k.cost += row.cost;
    k.tokens += row.total_tokens;
    keys.set(id, k);
  }
  return [...keys.values()].sort((a, b) => b.cost - a.cost || b.tokens - a.tokens);
}

/** The whole range's sums. */
export function totals(rows: readonly UsageRowDto[]): { runs: number; cachedRuns: number; tokens: number; cost: number } {
  return rows.reduce((t, r) => ({ runs: t.runs + r.runs, cachedRuns: t.cachedRuns + r.cached_runs, tokens: t.tokens + r.total_tokens, cost: t.cost + r.cost }), {
    runs: 0,
    cachedRuns: 0,
    tokens: 0,
    cost: 0,
  });
}
