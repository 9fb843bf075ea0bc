/** A duration between two ISO times, for people ("1.2 s", "3 min 4 s"); "—" when one is missing. */
export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  return ms(new Date(to).getTime() - new Date(from).getTime());
}

export function ms(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60_000)} min ${Math.round((value % 60_000) / 1000)} s`;
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Costs are tiny per run: enough digits to tell runs apart. */
export function cost(value: number): string {
  return value === 0 ? '0' : `$${value.toPrecision(3)}`;
}

/** Sizes of model files and memory: "512 KB", "1.3 GB" (powers of 1024, as the files' tools show them). */
export function bytes(value: number | null): string {
  if (value === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
