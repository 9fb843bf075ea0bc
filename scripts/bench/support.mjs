// Helpers the benchmarks share: starting and stopping child processes, the gateway benches' config and database,
// removing a run's Redis keys, percentiles, CPU per process, naming the machine.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../..');

/** The built CLI: `node <cli> start [app]` is what a user runs. */
export const cli = path.join(root, 'apps/cli/dist/main.js');

/**
 * The Node flags `npm start` runs the platform with (package.json's start script; the full image sets the same
 * in NODE_OPTIONS), so the all-in-one shape measures what users run.
 */
export const startNodeArgs = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  .scripts.start.match(/\bnode((?: --\S+)*) apps\/cli\/dist\/main\.js start$/)[1]
  .split(' ')
  .filter(Boolean);

export const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/**
 * `node ...args` from the repository root. Resolves once `ready(output so far)` returns something (stdout and
 * stderr both count), with the child, that match and the output; rejects if it exits first. `onLine(at, line)`
 * sees every output line with the time (performance.now()) it arrived.
 */
export function startProcess(args, env, ready, onLine = () => {}) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const feed = (d) => {
      const at = performance.now();
      out += d;
      for (const line of String(d).split('\n')) if (line) onLine(at, line);
      const match = ready(out);
      if (match) resolve({ child, match, output: () => out });
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

/**
 * The config of the gateway benches: one fake upstream `up` serving `m` (a plain call the gateway runs itself),
 * a rate limit that never bites, the cache off unless asked for.
 */
export function benchConfig({ dir, prefix, redisUrl, key, upstreamUrl, cache = false, concurrency = 64 }) {
  return `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: "${redisUrl}", prefix: ${prefix} }
data_dir: ${dir}/data
auth: { api_key: ${key} }
log_level: warn
providers:
  - { name: up, type: openai-compatible, base_url: "${upstreamUrl}", models: [m] }
auto_pick: { priority: [up] }
rate_limit: { requests_per_minute: 100000000 }
cache: { enabled: ${cache} }
queue: { concurrency: ${concurrency} }
`;
}

/** SIGTERM, then SIGKILL after 15 s; resolves when the process is gone. */
export const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15000).unref();
  });

/** A PostgreSQL database of the benchmark's own on the server `adminUrl` reaches: its URL, and `drop()`. */
export async function benchDatabase(adminUrl) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `sb_bench_${randomUUID().slice(0, 8)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Deletes every Redis key under a benchmark's prefix. */
export async function dropPrefix(redisUrl, prefix) {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** CPU time (user + system, ms) a process has used so far; 0 once it is gone. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

const pidsOf = (name) => {
  try {
    return execFileSync('pgrep', ['-x', name]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/**
 * Where the CPU of a load phase went: `start()` then `perRun(runs)` gives ms of CPU per run for each named
 * group of processes (ours by pid, Redis and PostgreSQL by process name), from /proc (Linux only; elsewhere
 * every figure is 0). On a machine with few cores this, not latency, is what bounds streams per second.
 */
export function cpuSampler(groups) {
  const all = () => ({ ...groups, redis: pidsOf('redis-server'), postgres: pidsOf('postgres') });
  const read = () => Object.fromEntries(Object.entries(all()).map(([k, pids]) => [k, pids.reduce((sum, pid) => sum + cpuMs(pid), 0)]));
  let before = {};
  return {
    start: () => void (before = read()),
    perRun: (runs) => {
      const after = read();
      return Object.fromEntries(Object.keys(after).map((k) => [k, runs > 0 ? (after[k] - (before[k] ?? 0)) / runs : 0]));
    },
  };
}
