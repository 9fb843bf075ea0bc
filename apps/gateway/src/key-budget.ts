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

/**
 * Why a key may not start another run, or null. Spend is read from the cached key row, so a key can go past
 * its budget by what its runs spend within one cache period (1 s for keys with a budget, see ApiKeyAuth)
 * before it is refused. Runs already going (background ones too) are not stopped by a key budget: their own
 * agent budgets bound them.
 */
export function budgetRefusal(budget: KeyBudget | null, now = new Date()): { message: string; retryAfter: number | undefined } | null {
  if (!budget) return null;
  const over =
    budget.tokens !== null && budget.spentTokens >= budget.tokens
      ? `${budget.spentTokens} of its ${budget.tokens} tokens`
      : budget.cost !== null && budget.spentCost >= budget.cost
        ? `${budget.spentCost.toFixed(4)} of its cost budget of ${budget.cost}`
        : null;
  if (!over) return null;
  const end = periodEnd(budget.period, now);
  const span = budget.period === 'day' ? 'today' : budget.period === 'month' ? 'this month' : 'in total';
  return {
    message: `This API key has used ${over} ${span}. ${end ? `Its budget resets at ${end.toISOString()}.` : 'Ask an admin to raise its budget.'}`,
    retryAfter: end ? Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)) : undefined,
  };
}
