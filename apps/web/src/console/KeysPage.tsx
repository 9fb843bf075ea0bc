import type { ApiKeyDto, CreatedApiKeyDto } from '@switchboard/contracts';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/errors';
import { useKeyMutations, useKeys } from '../data/use-keys';
import styles from './console.module.css';
import { fieldErrors, numberOrNull } from './field-errors';

/** API keys: create (the secret shown once), edit limits and budget, revoke; spend against budget per key. */
export default function KeysPage() {
  const keys = useKeys();
  const { create, update, revoke } = useKeyMutations();
  const [created, setCreated] = useState<CreatedApiKeyDto | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  return (
    <section className={styles.page} aria-label="Keys">
      <h1>Keys</h1>
      {created && <SecretOnce created={created} onDone={() => setCreated(null)} />}
      <h2>New key</h2>
      <KeyForm
        submitLabel="Create key"
        withIdentity
        error={create.error}
        onSubmit={async (body) => setCreated(await create.mutateAsync(body))}
      />
      {keys.error && <p role="alert" className={styles.error}>{errorMessage(keys.error)}</p>}
      {revoke.error && <p role="alert" className={styles.error}>{errorMessage(revoke.error)}</p>}
      <table className={styles.table} aria-label="API keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Role</th>
            <th>Rate limit</th>
            <th>Spend / budget</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id} aria-label={`Key ${k.name}`}>
              <td>{k.name}</td>
              <td><code>{k.prefix}</code></td>
              <td>{k.role}</td>
              <td>{k.rate_limit_per_minute === null ? 'default' : `${k.rate_limit_per_minute}/min`}</td>
              <td>
                {spend(k)}
                <BudgetMeter k={k} />
              </td>
              <td>{k.revoked_at ? 'revoked' : k.last_used_at ? new Date(k.last_used_at).toLocaleString() : 'never'}</td>
              <td>
                {editing === k.id ? (
                  <KeyForm
                    initial={k}
                    submitLabel="Save"
                    error={update.error}
                    onSubmit={async (body) => {
                      await update.mutateAsync({ id: k.id, body });
                      setEditing(null);
                    }}
                    onCancel={() => setEditing(null)}
                  />
                ) : (
                  !k.revoked_at && (
                    <span className={styles.actions}>
                      <button type="button" onClick={() => { update.reset(); setEditing(k.id); }}>Edit</button>
                      <button type="button" onClick={() => window.confirm(`Revoke ${k.name}? It stops working at once.`) && revoke.mutate(k.id)}>
                        Revoke
                      </button>
                    </span>
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function spend(k: ApiKeyDto): string {
  const parts = [`${k.spent_tokens} tokens`, `$${k.spent_cost.toFixed(4)}`];
  const budget = [k.budget_tokens !== null ? `${k.budget_tokens} tokens` : null, k.budget_cost !== null ? `$${k.budget_cost}` : null].filter(Boolean);
  return budget.length ? `${parts.join(', ')} of ${budget.join(', ')} per ${k.budget_period ?? '?'}` : `${parts.join(', ')} (no budget)`;
}

/** How much of its budget a key has spent this period: the nearer of its token and cost budgets. */
function budgetUsed(k: Pick<ApiKeyDto, 'spent_tokens' | 'spent_cost' | 'budget_tokens' | 'budget_cost'>): number | null {
  const shares = [k.budget_tokens ? k.spent_tokens / k.budget_tokens : null, k.budget_cost ? k.spent_cost / k.budget_cost : null].filter((x) => x !== null);
  return shares.length ? Math.min(1, Math.max(...shares)) : null;
}

function BudgetMeter({ k }: { k: ApiKeyDto }) {
  const used = budgetUsed(k);
  if (used === null) return null;
  return (
    <meter className={styles.meter} aria-label={`Budget used by ${k.name}`} min={0} max={1} low={0.8} high={0.95} optimum={0} value={used}>
      {Math.round(used * 100)}%
    </meter>
  );
}

/** The new key's secret: the one time it is shown, with a copy button. */
function SecretOnce({ created, onDone }: { created: CreatedApiKeyDto; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className={styles.secret} role="status" aria-label="New key secret">
      <p>Key <strong>{created.name}</strong> created. Copy its secret now: it is not shown again.</p>
      <code aria-label="Secret">{created.key}</code>{' '}
      <button
        type="button"
        onClick={() => void navigator.clipboard.writeText(created.key).then(() => setCopied(true), () => setCopied(false))}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>{' '}
      <button type="button" onClick={onDone}>Done</button>
    </div>
  );
}

interface KeyFormProps {
  initial?: ApiKeyDto;
  withIdentity?: boolean;
  submitLabel: string;
  error: unknown;
  onSubmit(body: Record<string, unknown>): Promise<void>;
  onCancel?(): void;
}

/** Limits and budget (and, to create, name and role). Empty fields mean "none"; the API's field errors show beside each. */
function KeyForm({ initial, withIdentity, submitLabel, error, onSubmit, onCancel }: KeyFormProps) {
  const [name, setName] = useState(initial?.name ?? '');
  const [role, setRole] = useState<'user' | 'admin'>(initial?.role ?? 'user');
  const [rate, setRate] = useState(initial?.rate_limit_per_minute?.toString() ?? '');
  const [tokens, setTokens] = useState(initial?.budget_tokens?.toString() ?? '');
  const [cost, setCost] = useState(initial?.budget_cost?.toString() ?? '');
  const [period, setPeriod] = useState(initial?.budget_period ?? '');
  const errors = fieldErrors(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const limits = { rate_limit_per_minute: numberOrNull(rate), budget_tokens: numberOrNull(tokens), budget_cost: numberOrNull(cost), budget_period: period || null };
    // Create takes no nulls (a field is simply absent); an edit sends null to clear a limit.
    const body = withIdentity ? { name, role, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== null)) } : { name, ...limits };
    try {
      await onSubmit(body);
      if (withIdentity) for (const reset of [setName, setRate, setTokens, setCost, setPeriod]) reset('');
    } catch {
      // shown from `error`
    }
  };

  return (
    <form className={styles.form} onSubmit={(e) => void submit(e)} aria-label={withIdentity ? 'New key' : `Edit ${initial?.name ?? 'key'}`}>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
        {errors.name && <span className={styles.fieldError}>{errors.name}</span>}
      </label>
      {withIdentity && (
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as 'user' | 'admin')}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </label>
      )}
      <label>
        Requests per minute
        <input type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} placeholder="default" />
        {errors.rate_limit_per_minute && <span className={styles.fieldError}>{errors.rate_limit_per_minute}</span>}
      </label>
      <label>
        Budget (tokens)
        <input type="number" min={1} value={tokens} onChange={(e) => setTokens(e.target.value)} placeholder="none" />
        {errors.budget_tokens && <span className={styles.fieldError}>{errors.budget_tokens}</span>}
      </label>
      <label>
        Budget (cost, $)
        <input type="number" min={0} step="any" value={cost} onChange={(e) => setCost(e.target.value)} placeholder="none" />
        {errors.budget_cost && <span className={styles.fieldError}>{errors.budget_cost}</span>}
      </label>
      <label>
        Budget period
        <select value={period} onChange={(e) => setPeriod(e.target.value as 'day' | 'month' | '')}>
          <option value="">none</option>
          <option value="day">day</option>
          <option value="month">month</option>
        </select>
        {errors.budget_period && <span className={styles.fieldError}>{errors.budget_period}</span>}
      </label>
      <span className={styles.actions}>
        <button type="submit">{submitLabel}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </span>
      {error != null && !Object.keys(errors).length && <p role="alert" className={`${styles.error} ${styles.wide}`}>{errorMessage(error)}</p>}
    </form>
  );
}
