import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { RunFilter } from '../api/client';
import { errorMessage } from '../api/errors';
import { MorePages } from '../app/MorePages';
import { useRuns } from '../data/use-runs';
import { cost, duration, when } from './format';
import styles from './runs.module.css';

const STATUSES = ['queued', 'running', 'background', 'succeeded', 'failed', 'cancelled'];
const FIELDS = ['status', 'agent', 'model', 'from', 'to'] as const;

/** Run history: the caller's runs (an admin's: everyone's), filtered in the URL so a view can be shared. */
export default function RunsPage() {
  const [params, setParams] = useSearchParams();
  const filter: RunFilter = Object.fromEntries(FIELDS.flatMap((f) => (params.get(f) ? [[f, params.get(f)!]] : [])));
  const runs = useRuns(filter);
  const [draft, setDraft] = useState<RunFilter>(filter);
  const rows = runs.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <div className={styles.page}>
      <h1>Runs</h1>
      <form
        className={styles.filters}
        aria-label="Filter runs"
        onSubmit={(e) => {
          e.preventDefault();
          setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v)) as Record<string, string>);
        }}
      >
        <label>
          Status
          <select value={draft.status ?? ''} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Agent or pipeline
          <input value={draft.agent ?? ''} onChange={(e) => setDraft({ ...draft, agent: e.target.value })} />
        </label>
        <label>
          Model
          <input value={draft.model ?? ''} placeholder="provider/model" onChange={(e) => setDraft({ ...draft, model: e.target.value })} />
        </label>
        <label>
          From
          <input type="date" value={draft.from ?? ''} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={draft.to ?? ''} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button type="submit">Apply</button>
      </form>
      {runs.error && <p role="alert" className={styles.error}>{errorMessage(runs.error)}</p>}
      <table className={styles.table}>
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Asked</th>
            <th>Answered by</th>
            <th>Started</th>
            <th>Took</th>
            <th>Tokens</th>
            <th>Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/runs/${r.id}`}>{r.id.slice(0, 13)}…</Link>
              </td>
              <td>
                <span className={styles[r.status]}>{r.status}</span>
              </td>
              <td>{r.model}</td>
              <td>{r.provider ? `${r.provider}/${r.provider_model ?? ''}` : '—'}</td>
              <td>{when(r.started_at ?? r.created_at)}</td>
              <td>{duration(r.started_at, r.finished_at)}</td>
              <td>{r.usage.total_tokens}</td>
              <td>{cost(r.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!runs.isPending && rows.length === 0 && <p className={styles.muted}>No runs match.</p>}
      <MorePages query={runs}>More runs</MorePages>
    </div>
  );
}
