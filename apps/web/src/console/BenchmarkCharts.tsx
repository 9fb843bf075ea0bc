import type { BenchmarkResultDto } from '@switchboard/contracts';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import styles from './console.module.css';

interface Metric {
  title: string;
  value(r: BenchmarkResultDto): number | null;
  format(v: number): string;
}

/** One chart per measure: their scales differ by orders of magnitude (ms, tokens/s, 0..1, dollars). */
const METRICS: Metric[] = [
  { title: 'Time to first token (p50, ms, lower is better)', value: (r) => r.ttft_ms?.p50 ?? null, format: (v) => `${Math.round(v)} ms` },
  { title: 'Decode speed (tokens/s, higher is better)', value: (r) => r.tokens_per_second, format: (v) => `${v.toFixed(1)} tok/s` },
  { title: 'Quality (0..1, higher is better)', value: (r) => r.quality.score, format: (v) => v.toFixed(2) },
  { title: 'Cost (dollars, lower is better)', value: (r) => r.cost, format: (v) => `$${v.toPrecision(3)}` },
];

/** The benchmark's results compared side by side, one bar per model. */
export function BenchmarkCharts({ results }: { results: BenchmarkResultDto[] }) {
  return (
    <div className={styles.charts} aria-label="Benchmark charts">
      {METRICS.map((metric) => {
        const data = results.map((r) => ({ model: r.model, value: metric.value(r) }));
        return (
          <figure key={metric.title} className={styles.chart}>
            <h3>{metric.title}</h3>
            <ResponsiveContainer width="100%" height={48 + 36 * data.length}>
              {/* Bars across, models down: model ids are long, and they read best as row labels. */}
              <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 4 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" tick={{ fontSize: 11 }} tickFormatter={(v: number) => metric.format(v)} />
                <YAxis type="category" dataKey="model" tick={{ fontSize: 11 }} width={130} interval={0} />
                <Tooltip formatter={(v) => (typeof v === 'number' ? metric.format(v) : '—')} />
                <Bar dataKey="value" name={metric.title} fill="var(--accent)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
        );
      })}
    </div>
  );
}
