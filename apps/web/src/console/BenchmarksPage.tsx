import type { BenchmarkDto } from '@switchboard/contracts';
import { useState } from 'react';
import { errorMessage } from '../api/errors';
import { MorePages } from '../app/MorePages';
import { useBenchmarks } from '../data/use-benchmarks';
import { bytes, cost, duration, ms, when } from '../runs/format';
import { BenchmarkCharts } from './BenchmarkCharts';
import { BenchmarkForm } from './BenchmarkForm';
import styles from './console.module.css';

/**
 * Benchmarks: start one (models from the catalogue, an optional reference model, max tokens), follow its status
 * while a worker runs it, and compare its results in a table and charts, with the API's recommendation per agent.
 */
export default function BenchmarksPage() {
  const benchmarks = useBenchmarks();
  const [chosen, setChosen] = useState<string | null>(null);
  const list = benchmarks.data?.pages.flatMap((p) => p.data) ?? [];
  // The one asked for, else the newest (a benchmark just started shows at once).
  const shown = list.find((b) => b.id === chosen) ?? list[0] ?? null;

  return (
    <section className={styles.page} aria-label="Benchmarks">
      <h1>Benchmarks</h1>
      <BenchmarkForm onStarted={(b) => setChosen(b.id)} />
      <h2>Runs</h2>
      {benchmarks.error && <p role="alert" className={styles.error}>{errorMessage(benchmarks.error)}</p>}
      {list.length === 0 && !benchmarks.isPending && <p className={styles.muted}>No benchmarks yet.</p>}
      {list.length > 0 && (
        <table className={styles.table} aria-label="Benchmark runs">
          <thead>
            <tr>
              <th>Started</th>
              <th>Models</th>
              <th>Status</th>
              <th>Took</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((b) => (
              <tr key={b.id} aria-label={`Benchmark ${b.id}`} aria-current={b.id === shown?.id ? 'true' : undefined}>
                <td>{when(b.created_at)}</td>
                <td>{b.models.join(', ')}</td>
                <td aria-label="Status">{b.status}{b.error && <div className={styles.fieldError}>{b.error}</div>}</td>
                <td>{duration(b.started_at, b.finished_at)}</td>
                <td>
                  <button type="button" disabled={b.id === shown?.id} onClick={() => setChosen(b.id)}>Show</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MorePages query={benchmarks}>More benchmarks</MorePages>
      {shown && <BenchmarkDetail benchmark={shown} />}
    </section>
  );
}

function BenchmarkDetail({ benchmark: b }: { benchmark: BenchmarkDto }) {
  const quality = b.reference_model ? `token-F1 against ${b.reference_model}` : 'contains the expected answer';
  return (
    <>
      <h2>Results</h2>
      <p className={styles.muted}>
        {b.models.join(' vs ')}: {b.prompt_set} prompt set, at most {b.max_tokens} tokens per answer, quality as {quality}. Status: {b.status}.
      </p>
      {b.status === 'queued' || b.status === 'running' ? <p role="status">Running on a worker…</p> : null}
      {b.results.length > 0 && (
        <>
          <table className={styles.table} aria-label="Benchmark results">
            <thead>
              <tr>
                <th>Model</th>
                <th>Served by</th>
                <th>TTFT p50</th>
                <th>Tokens/s</th>
                <th>Latency p50</th>
                <th>Quality</th>
                <th>Cost</th>
                <th>Peak RSS</th>
                <th>Errors</th>
              </tr>
            </thead>
            <tbody>
              {b.results.map((r) => (
                <tr key={r.model} aria-label={`Result ${r.model}`}>
                  <td>
                    {r.model}
                    {r.reference_only && <span className={styles.badge}>reference</span>}
                  </td>
                  <td>{r.provider ? `${r.provider}/${r.provider_model ?? ''}` : '—'}{r.local ? ' (local)' : ''}</td>
                  <td>{r.ttft_ms ? ms(r.ttft_ms.p50) : '—'}</td>
                  <td>{r.tokens_per_second === null ? '—' : r.tokens_per_second.toFixed(1)}</td>
                  <td>{r.latency_ms ? ms(r.latency_ms.p50) : '—'}</td>
                  <td>{r.quality.score === null ? '—' : r.quality.score.toFixed(2)}</td>
                  <td>{cost(r.cost)}</td>
                  <td>{r.peak_rss_bytes === null ? '—' : bytes(r.peak_rss_bytes)}</td>
                  <td>
                    {r.errors}/{r.prompts}
                    {r.error && <div className={styles.fieldError}>{r.error}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <BenchmarkCharts results={b.results} />
        </>
      )}
      {b.recommendations.length > 0 && (
        <section aria-label="Recommendations">
          <h2>Recommendation</h2>
          <ul>
            {b.recommendations.map((rec) => (
              <li key={rec.agent}>
                <strong>{rec.agent}</strong>: {rec.model ?? 'no benchmarked model qualifies'} — {rec.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
