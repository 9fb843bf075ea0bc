import { type KeyBudget, periodEnd } from '@switchboard/auth';

/**
 * Why a key may not start another run, or null. Spend is read from the cached key row, so a key can go past
 * its budget by what its runs spend within one cache period (1 s for keys with a budget, see Authenticator in libs/auth)
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
