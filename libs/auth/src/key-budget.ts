import type { ApiKeyRow } from '@switchboard/db';

/** A key's token and cost budget for its period, as read when the key was looked up. */
export interface KeyBudget {
  tokens: number | null;
  cost: number | null;
  period: 'day' | 'month' | null;
  spentTokens: number;
  spentCost: number;
}

export function keyBudgetOf(row: ApiKeyRow): KeyBudget | null {
  if (row.budgetTokens === null && row.budgetCost === null) return null;
  return { tokens: row.budgetTokens, cost: row.budgetCost, period: row.budgetPeriod, spentTokens: row.spentTokens, spentCost: row.spentCost };
}

/** When the key's current period ends (UTC, like the spend counters in libs/db); null for a lifetime budget. */
export function periodEnd(period: 'day' | 'month' | null, now: Date): Date | null {
  if (period === 'day') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  if (period === 'month') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return null;
}
