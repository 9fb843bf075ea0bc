#!/usr/bin/env node
// What the slowest sequential requests meet: `node scripts/bench/tail.mjs` after `npm run build`. It runs the bench's
// sequential phase (a direct request, then the same one through Switchboard, BENCH_SEQUENTIAL times after 300
// warm-ups) against one shape and prints TTFT p50/p99 of both paths, the CPU each process spent per request
// pair (from /proc, Redis and PostgreSQL included), what the platform's GC did meanwhile, from its
// `--trace-gc --trace-gc-nvp` lines (the main thread apart from the others: all-in-one, PGlite's thread), and how
// many of the slowest 1% of requests through Switchboard a main-thread GC pause overlapped.
//   BENCH_SHAPE=all-in-one|split   default all-in-one; split needs PostgreSQL (BENCH_PG_URL)
//   BENCH_NODE_ARGS="..."          more Node flags for the platform (gateway, in split), e.g. --max-semi-space-size=8
//   BENCH_STOP_WORKER=1            split: stop the worker before measuring (records then wait in Redis), to see
//                                  what writing them costs the requests
//   BENCH_SURVIVORS=file           V8's sampling heap profiler over the middle half of the requests, keeping only
//                                  what no scavenge collected (what each young-generation GC had to copy),
//                                  summarised by allocating function and written to `file`
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { makeClient } from './sse-client.mjs';
import { benchConfig, benchDatabase, cli, cpuSampler, dropPrefix, percentile, startNodeArgs, startProcess, stop } from './support.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const SHAPE = process.env.BENCH_SHAPE ?? 'all-in-one';
const N = Number(process.env.BENCH_SEQUENTIAL ?? 3000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const KEY = 'sb-tail-key';
const NODE_ARGS = ['--trace-gc', '--trace-gc-nvp', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
const SURVIVORS = process.env.BENCH_SURVIVORS;
if (SURVIVORS) NODE_ARGS.push('--inspect=127.0.0.1:0');

/** A minimal DevTools protocol client for the platform's inspector. */
async function inspector(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const pending = new Map();
  ws.on('message', (m) => {
    const msg = JSON.parse(m);
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  });
  return {
    send: (method, params = {}) => new Promise((resolve) => { pending.set(++id, resolve); ws.send(JSON.stringify({ id, method, params })); }),
    close: () => ws.close(),
  };
}

function summariseProfile(profile) {
  const label = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*\/(node_modules|work\/main)\//, '')}:${cf.lineNumber + 1}`;
  const bySite = new Map();
  let total = 0;
  const walk = (node) => {
    if (node.selfSize) {
      total += node.selfSize;
      bySite.set(label(node.callFrame), (bySite.get(label(node.callFrame)) ?? 0) + node.selfSize);
    }
    node.children.forEach(walk);
  };
  walk(profile.head);
  return { total, top: [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15) };
}

const upstream = await startProcess([path.join(root, 'scripts/bench/upstream.mjs')], { BENCH_DELTAS: '16' }, (out) => out.match(/^(http:\/\/\S+)$/m)?.[1]);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-tail-'));
const prefix = `sbtail-${randomUUID().slice(0, 8)}`;
writeFileSync(path.join(dir, 'tail.yaml'), benchConfig({ dir, prefix, redisUrl: REDIS_URL, key: KEY, upstreamUrl: upstream.match }));
const env = { SWITCHBOARD_CONFIG: path.join(dir, 'tail.yaml'), LOG_LEVEL: 'warn' };
const children = [upstream.child];
let database = null;
const gcLines = [];
try {
  let worker = null;
  if (SHAPE === 'split') {
    database = await benchDatabase(PG_ADMIN_URL);
    env.DATABASE_URL = database.url;
    worker = await startProcess([cli, 'start', 'worker'], env, (out) => out.match(/^worker\s+(http:\/\/\S+)$/m)?.[1]);
    children.push(worker.child);
  }
  const platform = await startProcess(
    [...NODE_ARGS, ...(SHAPE === 'split' ? [cli, 'start', 'gateway'] : [...startNodeArgs, cli, 'start'])],
    env,
    (out) => ((SHAPE === 'split' || /^worker\s/m.test(out)) && (!SURVIVORS || /ws:\/\//.test(out)) ? out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1] : undefined),
    (at, line) => {
      const gc = line.match(/^\[\d+:(0x[0-9a-f]+)\].*?pause=([\d.]+).*? gc=(\w+) /);
      if (gc) gcLines.push({ at, isolate: gc[1], pause: Number(gc[2]), kind: gc[3], survived: Number(line.match(/new_space_survived=(\d+)/)?.[1]) });
    },
  );
  children.push(platform.child);
  const session = SURVIVORS ? await inspector(platform.output().match(/ws:\/\/\S+/)[0]) : null;
  const stream = makeClient();
  const direct = upstream.match;
  const viaSb = `${platform.match}/v1`;
  for (let i = 0; i < 300; i++) {
    await stream(direct, KEY, 'm');
    await stream(viaSb, KEY, 'up/m');
  }
  if (worker && process.env.BENCH_STOP_WORKER) await stop(worker.child);
  const d = [];
  const s = [];
  const sAt = [];
  let profile = null;
  const cpu = cpuSampler({ platform: [platform.child.pid], ...(worker && !process.env.BENCH_STOP_WORKER ? { worker: [worker.child.pid] } : {}) });
  cpu.start();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (session && i === Math.floor(N / 4)) {
      await session.send('HeapProfiler.enable');
      await session.send('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    }
    if (session && i === Math.floor((3 * N) / 4)) profile = (await session.send('HeapProfiler.stopSampling')).profile;
    d.push((await stream(direct, KEY, 'm')).ttft);
    sAt.push(performance.now());
    s.push((await stream(viaSb, KEY, 'up/m')).ttft);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerRun = cpu.perRun(N);
  console.log(`${SHAPE}${process.env.BENCH_NODE_ARGS ? ` (${process.env.BENCH_NODE_ARGS})` : ''}${worker && process.env.BENCH_STOP_WORKER ? ' (worker stopped)' : ''}: ${N} sequential requests in ${seconds.toFixed(1)} s`);
  console.log(`  TTFT direct p50 ${percentile(d, 50).toFixed(2)} p99 ${percentile(d, 99).toFixed(2)} ms; through Switchboard p50 ${percentile(s, 50).toFixed(2)} p99 ${percentile(s, 99).toFixed(2)} ms; added p50 ${(percentile(s, 50) - percentile(d, 50)).toFixed(2)} p99 ${(percentile(s, 99) - percentile(d, 99)).toFixed(2)} ms`);
  console.log(`  CPU per request pair (ms): ${Object.entries(cpuPerRun).map(([k, v]) => `${k === 'platform' && SHAPE === 'split' ? 'gateway' : k} ${v.toFixed(3)}`).join(', ')}`);
  // The main thread's isolate is the first to collect; all-in-one, PGlite's thread has an isolate of its own.
  const mainIsolate = gcLines[0]?.isolate;
  const during = gcLines.filter((g) => g.at >= t0);
  for (const [name, gcs] of [['main thread', during.filter((g) => g.isolate === mainIsolate)], ['other threads', during.filter((g) => g.isolate !== mainIsolate)]]) {
    const scavenges = gcs.filter((g) => g.kind === 's');
    if (!gcs.length) continue;
    const pauses = scavenges.map((g) => g.pause);
    const others = gcs.filter((g) => g.kind !== 's');
    console.log(`  ${name}: scavenges ${scavenges.length} (${(scavenges.length / seconds).toFixed(1)}/s), pause p50 ${percentile(pauses, 50) ?? '-'} max ${Math.max(0, ...pauses)} ms, ${pauses.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, survived p50 ${((percentile(scavenges.map((g) => g.survived), 50) ?? 0) / 1024).toFixed(0)} KB; other GCs ${others.length}, ${others.reduce((a, g) => a + g.pause, 0).toFixed(0)} ms`);
  }
  // Which requests a pause of the main thread overlapped: a GC's line arrives once it is over, so it ran in
  // [arrival - pause - 1 ms, arrival] (the 1 ms for the pipe); a request ran in [start, start + TTFT].
  const hitByGc = (i) => during.some((g) => g.isolate === mainIsolate && g.at - g.pause - 1 <= sAt[i] + s[i] && g.at >= sAt[i]);
  const order = s.map((_, i) => i).sort((a, b) => s[b] - s[a]);
  const slowest = order.slice(0, Math.max(1, Math.floor(N / 100)));
  const share = (ids) => `${ids.filter(hitByGc).length}/${ids.length}`;
  console.log(`  a main-thread GC overlapped: ${share(slowest)} of the slowest 1% through Switchboard (TTFT ≥ ${s[slowest.at(-1)].toFixed(2)} ms), ${share(order)} of all`);
  if (profile) {
    const { total, top } = summariseProfile(profile);
    const runs = Math.floor(N / 2);
    const lines = [`Survived a scavenge: ${(total / 1024 / runs).toFixed(1)} KB per run over ${runs} runs (${SHAPE}); by allocating function (KB per run):`];
    for (const [site, bytes] of top) lines.push(`${(bytes / 1024 / runs).toFixed(2).padStart(7)}  ${site}`);
    writeFileSync(SURVIVORS, `${lines.join('\n')}\n`);
    console.log(`  ${lines[0]} (top sites in ${SURVIVORS})`);
    session.close();
  }
} finally {
  for (const c of children.reverse()) await stop(c);
  await dropPrefix(REDIS_URL, prefix);
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
}
