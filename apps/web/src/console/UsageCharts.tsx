import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DayPoint } from './usage-series';
import styles from './console.module.css';

/** Series colours: distinct in light and dark themes; they repeat past the eighth model. */
const COLOURS = ['#3b5bdb', '#f08c00', '#2b8a3e', '#c2255c', '#1098ad', '#7048e8', '#e8590c', '#5c940d'];
const axis = { stroke: 'var(--muted)', fontSize: 12 };
const tooltip = { contentStyle: { background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)' } };

/** Tokens per UTC day, one stacked bar segment per model. */
export function TokensPerDayChart({ models, points }: { models: string[]; points: DayPoint[] }) {
  return (
    <figure className={styles.chart} aria-label="Tokens per day">
      <figcaption>Tokens per day, by model (UTC)</figcaption>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis dataKey="day" tick={axis} />
          <YAxis tick={axis} allowDecimals={false} />
          <Tooltip {...tooltip} />
          <Legend />
          {models.map((model, i) => (
            // A function, not the model's name, as dataKey: a name with dots would be read as a path.
            <Bar key={model} name={model} stackId="tokens" dataKey={(p: DayPoint) => p.tokens[model] ?? 0} fill={COLOURS[i % COLOURS.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Cost per API key over the range. */
export function CostPerKeyChart({ keys }: { keys: { key: string; cost: number }[] }) {
  return (
    <figure className={styles.chart} aria-label="Cost per key">
      <figcaption>Cost per key ($)</figcaption>
      <ResponsiveContainer width="100%" height={Math.max(120, 40 * keys.length + 40)}>
        <BarChart data={keys} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis type="number" tick={axis} />
          <YAxis type="category" dataKey="key" tick={axis} width={120} />
          <Tooltip {...tooltip} formatter={(v) => `$${Number(v).toFixed(4)}`} />
          <Bar dataKey="cost" name="cost" fill={COLOURS[0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
