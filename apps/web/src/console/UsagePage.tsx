import type { UsageRowDto } from '@switchboard/contracts';
import { useMemo, useState } from 'react';
import { errorMessage } from '../api/errors';
import { useMe } from '../data/use-me';
import { useUsage } from '../data/use-usage';
import { CostPerKeyChart, TokensPerDayChart } from './UsageCharts';
import styles from './console.module.css';
import { costPerKey, daysBetween, lastDays, perKeyModel, tokensPerDay, totals } from './usage-series';

const RANGES = [7, 30, 90];

/**
 * Tokens and cost per key, model and day, from `GET /api/usage`: an admin sees every key, any other key only
 * its own (the API decides; this page only says which it is).
 */
export default function UsagePage() {
  const [days, setDays] = useState(30);
  // Computed when the range is picked, not on every render: a new `to` each render would be a new query each time.
  const range = useMemo(() => lastDays(days), [days]);
  const usage = useUsage(range);
  const { isAdmin } = useMe();
  const rows = useMemo(() => usage.data?.data ?? [], [usage.data]);
  const perDay = useMemo(() => tokensPerDay(rows, daysBetween(range.from, range.to)), [rows, range]);
  const sums = totals(rows);

  return (
    <section className={styles.page} aria-label="Usage">
      <h1>Usage</h1>
      <p className={styles.muted}>{isAdmin ? 'Every key' : 'Your key only'}, summed by the database over UTC days.</p>
      <label className={styles.inline}>
        Range{' '}
        <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {RANGES.map((d) => (
            <option key={d} value={d}>Last {d} days</option>
          ))}
        </select>
      </label>
      {usage.error && <p role="alert" className={styles.error}>{errorMessage(usage.error)}</p>}
      {usage.isPending && <p className={styles.muted}>Loading…</p>}
      {usage.data && (
        <>
          <div className={styles.cards}>
            <div className={styles.card} aria-label="Total tokens">Tokens <strong>{sums.tokens.toLocaleString()}</strong></div>
            <div className={styles.card} aria-label="Total cost">Cost <strong>${sums.cost.toFixed(4)}</strong></div>
            <div className={styles.card} aria-label="Total runs">
              Runs <strong>{sums.runs}</strong>
              <span className={styles.muted}>{sums.cachedRuns} from the cache</span>
            </div>
          </div>
          {rows.length === 0 ? (
            <p>No runs in this range.</p>
          ) : (
            <>
              <div className={styles.charts}>
                <TokensPerDayChart models={perDay.models} points={perDay.points} />
                <CostPerKeyChart keys={costPerKey(rows)} />
              </div>
              <h2>Per key and model</h2>
              <UsageTable rows={rows} />
            </>
          )}
        </>
      )}
    </section>
  );
}

function UsageTable({ rows }: { rows: readonly UsageRowDto[] }) {
  return (
    <table className={styles.table} aria-label="Usage per key and model">
      <thead>
        <tr>
          <th>Key</th>
          <th>Model</th>
          <th>Runs</th>
          <th>Cached</th>
          <th>Prompt tokens</th>
          <th>Completion tokens</th>
          <th>Total tokens</th>
          <th>Cost</th>
        </tr>
      </thead>
      <tbody>
        {perKeyModel(rows).map((r) => (
          <tr key={r.id} aria-label={`${r.key} ${r.model}`}>
            <td>{r.key}</td>
            <td><code>{r.model}</code></td>
            <td>{r.runs}</td>
            <td>{r.cachedRuns}</td>
            <td>{r.promptTokens}</td>
            <td>{r.completionTokens}</td>
            <td>{r.totalTokens}</td>
            <td>${r.cost.toFixed(4)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
