// Helpers both benchmarks share: stopping child processes, removing a run's Redis keys, naming the machine.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

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
