import { switchboardConfigSchema } from '@switchboard/contracts';
import { parse } from 'yaml';
import { type LoadContext } from './load-context.js';
import { didYouMean, formatPath } from './problem-text.js';
import { typeForKey } from './scalar-typing.js';
import { type ConfigPath, expectsList, expectsSection, keyExists, knownKeys } from './schema-walk.js';
import { readVariable } from './secret-file.js';

const schema = switchboardConfigSchema;

/** The documented variables; each also reads NAME_FILE. */
export const CORE_ENV_VARIABLES: readonly { name: string; path: ConfigPath }[] = [
  { name: 'DATABASE_URL', path: ['database', 'url'] },
  { name: 'REDIS_URL', path: ['redis', 'url'] },
  { name: 'SWITCHBOARD_ADMIN_KEY', path: ['auth', 'admin_key'] },
  { name: 'SWITCHBOARD_API_KEY', path: ['auth', 'api_key'] },
  { name: 'LOG_LEVEL', path: ['log_level'] },
  { name: 'SWITCHBOARD_DATA_DIR', path: ['data_dir'] },
  { name: 'GATEWAY_PORT', path: ['server', 'gateway_port'] },
  { name: 'API_PORT', path: ['server', 'api_port'] },
  { name: 'WORKER_PORT', path: ['server', 'worker_port'] },
];

/** `SWITCHBOARD__SERVER__HEARTBEAT_MS=2000` sets server.heartbeat_ms. */
export const GENERIC_ENV_PREFIX = 'SWITCHBOARD__';

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Applies env overrides to the file's data in place: core variables first, then the generic
 * SWITCHBOARD__* form, so the more specific name wins where both set one key. Problems go to ctx.
 */
export function applyEnvOverrides(data: Tree, ctx: LoadContext): void {
  for (const { name, path } of CORE_ENV_VARIABLES) {
    const found = read(name, ctx);
    if (!found) continue;
    const text = name === 'LOG_LEVEL' ? found.value.toLowerCase() : found.value;
    assign(data, path, typeForKey(text, path), `from env ${found.from}`, ctx);
  }
  const names = Object.keys(ctx.env)
    .filter((n) => n.startsWith(GENERIC_ENV_PREFIX))
    .sort();
  for (const name of names) applyGeneric(name, data, ctx);
}

function read(name: string, ctx: LoadContext): { value: string; from: string } | undefined {
  try {
    return readVariable(name, ctx.env, ctx.cwd);
  } catch (error) {
    ctx.problems.push((error as Error).message);
    return undefined;
  }
}

function applyGeneric(name: string, data: Tree, ctx: LoadContext): void {
  const segments = name.slice(GENERIC_ENV_PREFIX.length).toLowerCase().split('__');
  if (segments.some((s) => s === '')) {
    ctx.problems.push(`${name}: empty path segment (separate keys with exactly two underscores)`);
    return;
  }
  let resolved = locate(segments, data);
  let variable = name;
  if (!('error' in resolved) && !keyExists(schema, resolved.path) && name.endsWith('_FILE')) {
    // SWITCHBOARD__AUTH__ADMIN_KEY_FILE: the file holds auth.admin_key; the variable without _FILE wins.
    const base = locate([...segments.slice(0, -1), (segments[segments.length - 1] ?? '').slice(0, -'_file'.length)], data);
    if (!('error' in base) && keyExists(schema, base.path)) {
      variable = name.slice(0, -'_FILE'.length);
      if (ctx.env[variable]) return;
      resolved = base;
    }
  }
  if ('error' in resolved) {
    ctx.problems.push(`${name}: ${resolved.error}`);
    return;
  }
  const { path } = resolved;
  const unknownAt = path.findIndex((_, n) => !keyExists(schema, path.slice(0, n + 1)));
  if (unknownAt >= 0) {
    const parent = path.slice(0, unknownAt);
    const key = path[unknownAt];
    const hint = didYouMean(key, knownKeys(schema, parent, valueAt(data, parent)));
    ctx.problems.push(`${name}: ${formatPath([...parent, key ?? ''])} is not a config key${hint}`);
    return;
  }
  const list = expectsList(schema, path);
  if (!list && expectsSection(schema, path)) {
    ctx.problems.push(`${name}: ${formatPath(path)} is a section; set its keys one by one (${name}__<KEY>)`);
    return;
  }
  const found = read(variable, ctx);
  if (!found) return;
  const value = list ? readList(found.value, path) : typeForKey(found.value, path);
  if (value === undefined) ctx.problems.push(`${name}: ${formatPath(path)} takes a list: write a,b or [a, b]`);
  else assign(data, path, value, `from env ${found.from}`, ctx);
}

/**
 * Maps env segments onto a config path. A segment under a list is an index or the `name` of an entry
 * (`SWITCHBOARD__PROVIDERS__OPENROUTER__TIMEOUT_MS`), with "-" and "." in names matched by "_".
 */
function locate(segments: readonly string[], data: Tree): { path: ConfigPath } | { error: string } {
  const path: (string | number)[] = [];
  let node: unknown = data;
  for (const segment of segments) {
    if (path.length > 0 && expectsList(schema, path) && !expectsSection(schema, path)) {
      const items = Array.isArray(node) ? (node as unknown[]) : [];
      const index = /^\d+$/.test(segment)
        ? Number(segment)
        : items.findIndex((item) => isTree(item) && String(item['name']).toLowerCase().replace(/[-.]/g, '_') === segment);
      if (index < 0 || index >= items.length) {
        const what = /^\d+$/.test(segment) ? `[${segment}]` : `named "${segment}"`;
        return { error: `${formatPath(path)} has no entry ${what} in the file` };
      }
      path.push(index);
      node = items[index];
    } else {
      path.push(segment);
      node = isTree(node) ? node[segment] : undefined;
    }
  }
  return { path };
}

function readList(text: string, path: ConfigPath): unknown[] | undefined {
  const trimmed = text.trim();
  let items: unknown;
  try {
    items = trimmed.startsWith('[') ? parse(trimmed) : trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  } catch {
    return undefined;
  }
  if (!Array.isArray(items)) return undefined;
  return items.map((item, i) => (typeof item === 'string' ? typeForKey(item, [...path, i]) : item));
}

function valueAt(data: Tree, path: ConfigPath): unknown {
  let node: unknown = data;
  for (const segment of path) node = isTree(node) || Array.isArray(node) ? (node as Tree)[segment] : undefined;
  return node;
}

/** Sets a value, creating the sections on the way; a file value of the wrong kind on the way is reported. */
function assign(data: Tree, path: ConfigPath, value: unknown, origin: string, ctx: LoadContext): void {
  let node: Tree | unknown[] = data;
  for (let n = 0; n < path.length - 1; n++) {
    const segment = path[n] as string | number;
    const next: unknown = (node as Tree)[segment];
    if (next === undefined || next === null) {
      (node as Tree)[segment] = {};
    } else if (typeof next !== 'object') {
      ctx.report(path.slice(0, n + 1), `expected a mapping, got ${typeof next} (needed for the override ${origin})`);
      return;
    }
    node = (node as Tree)[segment] as Tree | unknown[];
  }
  (node as Tree)[path[path.length - 1] as string | number] = value;
  ctx.setOrigin(path, origin, true);
}
