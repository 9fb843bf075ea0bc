import { type ConfigPath } from './schema-walk.js';

/** `providers[1].type`, `queue.lock_ms`; keys that are not plain words are quoted (`headers["X-Title"]`). */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

const SECRET_KEYS = new Set(['api_key', 'admin_key', 'url']);

/** Values under these keys may hold credentials (keys, tokens, passwords inside URLs, auth headers). */
export function isSecretPath(path: ConfigPath): boolean {
  const last = path[path.length - 1];
  return (typeof last === 'string' && SECRET_KEYS.has(last)) || path.includes('headers');
}

/** How a found value reads in an error: short, and never the value itself when it may be a secret. */
export function showValue(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return `a ${typeof value} (value hidden)`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** `"a" or "b"`, `one of "a", "b", "c"`. */
export function showChoices(values: readonly unknown[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  if (quoted.length === 1) return quoted[0] ?? '';
  if (quoted.length === 2) return `${quoted[0]} or ${quoted[1]}`;
  return `one of ${quoted.join(', ')}`;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** ` (did you mean "heartbeat_ms"?)` for a near miss of a known name, else "". */
export function didYouMean(found: unknown, known: readonly unknown[]): string {
  if (typeof found !== 'string' || found === '') return '';
  const needle = found.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (typeof candidate !== 'string') continue;
    const d = distance(needle, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const tolerance = Math.max(1, Math.floor(needle.length / 3));
  return best !== undefined && bestDistance <= tolerance ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}
