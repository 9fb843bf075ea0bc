import type { AgentConfig } from '@switchboard/contracts';

export type AgentBudgets = AgentConfig['budgets'];

/** `sync` while a client waits for the answer; `background` once the run went on without it. */
export type BudgetPhase = 'sync' | 'background';

/** Which limit a run reached. Tokens and cost are per run and hard: no phase lifts them. */
export interface BudgetOverrun {
  limit: 'iterations' | 'seconds' | 'tokens' | 'cost';
  phase: BudgetPhase;
  used: number;
  max: number;
}

/**
 * What one run may still spend. Iterations (model calls) and seconds count from the start of the run, so the
 * background limits are totals for the whole run, larger than the sync ones; tokens and cost are per run.
 */
export class RunBudget {
  iterations = 0;
  tokens = 0;
  cost = 0;

  constructor(
    private readonly budgets: AgentBudgets,
    private _phase: BudgetPhase = 'sync',
    private readonly startedAt = Date.now(),
    private readonly now: () => number = Date.now,
  ) {}

  get phase(): BudgetPhase {
    return this._phase;
  }

  /** Moves to the larger background limits (the run goes on without the client). */
  enterBackground(): void {
    this._phase = 'background';
  }

  /** The per-run token or cost limit, when reached: no phase lifts these. */
  hardOverrun(): BudgetOverrun | null {
    const { max_tokens, max_cost } = this.budgets;
    if (max_tokens !== undefined && this.tokens >= max_tokens) return this.overrun('tokens', this.tokens, max_tokens);
    if (max_cost !== undefined && this.cost >= max_cost) return this.overrun('cost', this.cost, max_cost);
    return null;
  }

  /** The first limit reached, hard limits first; null while there is room for another model call. */
  exceeded(): BudgetOverrun | null {
    const hard = this.hardOverrun();
    if (hard) return hard;
    const limits = this.budgets[this._phase];
    if (this.iterations >= limits.max_iterations) return this.overrun('iterations', this.iterations, limits.max_iterations);
    const seconds = this.elapsedSeconds();
    if (seconds >= limits.max_seconds) return this.overrun('seconds', seconds, limits.max_seconds);
    return null;
  }

  /** The time limit of the current phase, as reached (for a timer that fired when msLeft() ran out). */
  timeOverrun(): BudgetOverrun {
    const max = this.budgets[this._phase].max_seconds;
    return this.overrun('seconds', Math.max(max, this.elapsedSeconds()), max);
  }

  /** Milliseconds until the current phase's time limit. */
  msLeft(): number {
    return Math.max(0, this.budgets[this._phase].max_seconds * 1000 - (this.now() - this.startedAt));
  }

  /** Whether spending one more token could still fit the hard limits (for max_tokens on the next call). */
  tokensLeft(): number | undefined {
    const max = this.budgets.max_tokens;
    return max === undefined ? undefined : Math.max(0, max - this.tokens);
  }

  costLeft(): number | undefined {
    const max = this.budgets.max_cost;
    return max === undefined ? undefined : Math.max(0, max - this.cost);
  }

  spend(tokens: number, cost: number): void {
    this.tokens += tokens;
    this.cost += cost;
  }

  private elapsedSeconds(): number {
    return Math.round((this.now() - this.startedAt) / 100) / 10;
  }

  private overrun(limit: BudgetOverrun['limit'], used: number, max: number): BudgetOverrun {
    return { limit, phase: this._phase, used, max };
  }
}

/** A sentence for the client and the run record: which budget ended the run. */
export function describeOverrun(o: BudgetOverrun): string {
  switch (o.limit) {
    case 'iterations':
      return `the ${o.phase} budget of ${o.max} model calls was used up`;
    case 'seconds':
      return `the ${o.phase} budget of ${o.max} seconds was used up`;
    case 'tokens':
      return `the run's budget of ${o.max} tokens was used up (${o.used} used)`;
    case 'cost':
      return `the run's cost budget of ${o.max} was used up (${o.used.toFixed(6)} spent)`;
  }
}
