#!/usr/bin/env node
// `npm run bench`: what Switchboard adds on top of a direct call to the same upstream, measured in one run with
// the same client, for two deployment shapes. Writes docs/BENCHMARKS.md (see there for how to read it).
//   all-in-one  `switchboard start` (gateway + api + worker in one process, embedded PGlite): what `npm start` runs
//   split       `switchboard start gateway` + `switchboard start worker` as two processes on PostgreSQL
//               (the scale-out shape, using both cores); skipped with a note when PostgreSQL is not reachable
//   proxy       for reference, a stateless Node proxy (scripts/bench/proxy.mjs): no queue, no records, no event log
// BENCH_SHAPES (comma-separated; default all-in-one,split,proxy,cache, where cache is the response-cache phase) picks shapes. BENCH_NODE_ARGS adds Node
// flags to the Switchboard processes, to profile them: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { makeClient } from './bench/sse-client.mjs';
import { benchConfig, benchDatabase, cli, cpuSampler, dropPrefix, machine, percentile, startNodeArgs, startProcess, stop } from './bench/support.mjs';
import { runLocalBench } from './bench-local.mjs';

const root = path.resolve(import.meta.dirname, '..');
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const DELTAS = Number(process.env.BENCH_DELTAS ?? 16);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const KEY = 'sb-bench-key';
const SHAPES = (process.env.BENCH_SHAPES ?? 'all-in-one,split,proxy,cache').split(',').map((x) => x.trim());

const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** startProcess, with BENCH_NODE_ARGS for Switchboard's own processes. */
const start = (args, env, ready) => startProcess(args.includes(cli) ? [...NODE_ARGS, ...args] : args, env, ready);

async function throughput(stream, url, model) {
  let done = 0;
  let failed = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        try {
          await stream(url, KEY, model);
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { perSecond: done / (Number(process.hrtime.bigint() - t0) / 1e9), done, failed };
}

async function measure(stream, direct, viaSb, cpu) {
  for (let i = 0; i < 300; i++) {
    await stream(direct, KEY, 'm');
    await stream(viaSb, KEY, 'up/m');
  }
  const d = [];
  const s = [];
  // Interleaved, so drift of the machine hits both paths alike.
  for (let i = 0; i < SEQUENTIAL; i++) {
    d.push((await stream(direct, KEY, 'm')).ttft);
    s.push((await stream(viaSb, KEY, 'up/m')).ttft);
  }
  const seq = { directP50: percentile(d, 50), directP99: percentile(d, 99), sbP50: percentile(s, 50), sbP99: percentile(s, 99) };
  seq.addedP50 = seq.sbP50 - seq.directP50;
  seq.addedP99 = seq.sbP99 - seq.directP99;
  const tDirect = await throughput(stream, direct, 'm');
  cpu.start();
  const tSb = await throughput(stream, viaSb, 'up/m');
  return { seq, tDirect, tSb, cpuPerRun: cpu.perRun(tSb.done) };
}

const configYaml = ({ dir, prefix, upstreamUrl, cache = false }) =>
  benchConfig({ dir, prefix, redisUrl: REDIS_URL, key: KEY, upstreamUrl, cache, concurrency: Math.max(64, CONCURRENCY * 2) });

async function runShape(shape, upstreamUrl, upstreamPid, stream) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const prefix = `sbbench-${randomUUID().slice(0, 8)}`;
  const configPath = path.join(dir, 'bench.yaml');
  writeFileSync(configPath, configYaml({ dir, prefix, upstreamUrl }));
  const env = { SWITCHBOARD_CONFIG: configPath, LOG_LEVEL: 'warn' };
  const children = [];
  let database = null;
  try {
    let gatewayUrl;
    if (shape === 'proxy') {
      const p = await start([path.join(root, 'scripts/bench/proxy.mjs')], { BENCH_UPSTREAM: upstreamUrl, BENCH_KEY: KEY }, (out) => out.match(/^(http:\/\/\S+)\/v1$/m)?.[1]);
      children.push(p.child);
      gatewayUrl = p.match;
    } else if (shape === 'all-in-one') {
      const p = await start([...startNodeArgs, cli, 'start'], env, (out) => (/^worker\s/m.test(out) ? out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1] : undefined));
      children.push(p.child);
      gatewayUrl = p.match;
    } else {
      database = await benchDatabase(PG_ADMIN_URL);
      env.DATABASE_URL = database.url;
      const w = await start([cli, 'start', 'worker'], env, (out) => out.match(/^worker\s+(http:\/\/\S+)$/m)?.[1]);
      children.push(w.child);
      const g = await start([cli, 'start', 'gateway'], env, (out) => out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1]);
      children.push(g.child);
      gatewayUrl = g.match;
    }
    console.log(`${shape}: switchboard ${gatewayUrl}/v1`);
    const names = { 'all-in-one': ['platform'], split: ['worker', 'gateway'], proxy: ['proxy'] }[shape];
    const groups = Object.fromEntries(names.map((name, i) => [name, [children[i].pid]]));
    const cpu = cpuSampler({ ...groups, upstream: [upstreamPid], client: [process.pid] });
    const result = await measure(stream, upstreamUrl, `${gatewayUrl}/v1`, cpu);
    console.log(shape, JSON.stringify(result));
    return result;
  } finally {
    for (const c of children.reverse()) await stop(c);
    await dropPrefix(REDIS_URL, prefix);
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresReachable() {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The response cache: the same question asked again through the gateway (every answer after the first is a hit)
 * against asking a provider that takes CACHE_FIRST_DELTA_MS to its first token, interleaved. Split shape on
 * PostgreSQL, cache enabled.
 */
const CACHE_FIRST_DELTA_MS = Number(process.env.BENCH_CACHE_FIRST_DELTA_MS ?? 20);
const CACHE_REQUESTS = Number(process.env.BENCH_CACHE_REQUESTS ?? 300);

async function runCacheHits(stream) {
  const upstream = await start(
    [path.join(root, 'scripts/bench/upstream.mjs')],
    { BENCH_DELTAS: String(DELTAS), BENCH_FIRST_DELTA_MS: String(CACHE_FIRST_DELTA_MS) },
    (out) => out.match(/^(http:\/\/\S+)$/m)?.[1],
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-cache-'));
  const prefix = `sbbench-${randomUUID().slice(0, 8)}`;
  const configPath = path.join(dir, 'bench.yaml');
  writeFileSync(configPath, configYaml({ dir, prefix, upstreamUrl: upstream.match, cache: true }));
  const database = await benchDatabase(PG_ADMIN_URL);
  const env = { SWITCHBOARD_CONFIG: configPath, LOG_LEVEL: 'warn', DATABASE_URL: database.url };
  const children = [upstream.child];
  try {
    const w = await start([cli, 'start', 'worker'], env, (out) => out.match(/^worker\s+(http:\/\/\S+)$/m)?.[1]);
    children.push(w.child);
    const g = await start([cli, 'start', 'gateway'], env, (out) => out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1]);
    children.push(g.child);
    const viaSb = `${g.match}/v1`;
    // The first answer comes from the provider and is stored; every later one is a hit.
    await stream(viaSb, KEY, 'up/m');
    await new Promise((r) => setTimeout(r, 500));
    const d = [];
    const h = [];
    for (let i = 0; i < CACHE_REQUESTS; i++) {
      d.push(await stream(upstream.match, KEY, 'm'));
      h.push(await stream(viaSb, KEY, 'up/m'));
    }
    const p = (xs, k, q) => percentile(xs.map((x) => x[k]), q);
    const result = {
      providerTtftP50: p(d, 'ttft', 50), providerTtftP99: p(d, 'ttft', 99), hitTtftP50: p(h, 'ttft', 50), hitTtftP99: p(h, 'ttft', 99),
      providerTotalP50: p(d, 'total', 50), hitTotalP50: p(h, 'total', 50),
    };
    console.log('cache', JSON.stringify(result));
    return result;
  } finally {
    for (const c of children.reverse()) await stop(c);
    await dropPrefix(REDIS_URL, prefix);
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const upstream = await start([path.join(root, 'scripts/bench/upstream.mjs')], { BENCH_DELTAS: String(DELTAS) }, (out) => out.match(/^(http:\/\/\S+)$/m)?.[1]);
  const stream = makeClient(Math.max(64, CONCURRENCY * 2));
  const results = {};
  try {
    for (const shape of SHAPES.filter((s) => s !== 'cache')) {
      if (shape === 'split' && !(await postgresReachable())) console.log(`split: skipped, PostgreSQL not reachable at ${PG_ADMIN_URL}`);
      else results[shape] = await runShape(shape, upstream.match, upstream.child.pid, stream);
    }
  } finally {
    await stop(upstream.child);
  }
  const cache = SHAPES.includes('cache') && (await postgresReachable()) ? await runCacheHits(stream) : null;
  writeReport(results, cache);
  // The local-model benchmark (node-llama-cpp direct vs through Switchboard) writes its own section; BENCH_LOCAL=0 skips it.
  if (process.env.BENCH_LOCAL !== '0') await runLocalBench();
}

function writeReport(results, cache) {
  const file = path.join(root, 'docs/BENCHMARKS.md');
  const f = (x) => x.toFixed(2);
  const ok = (cond) => (cond ? 'met' : '**not met**');
  const rows = Object.entries(results)
    .map(
      ([shape, { seq, tDirect, tSb }]) => {
        // The targets are Switchboard's; the proxy row is the reference they are read against.
        const mark = (cond) => (shape === 'proxy' ? '(reference)' : `(${ok(cond)})`);
        return `| ${shape} | ${f(seq.directP50)} / ${f(seq.directP99)} | ${f(seq.sbP50)} / ${f(seq.sbP99)} | **${f(seq.addedP50)}** ${mark(seq.addedP50 <= 1.5)} | **${f(seq.addedP99)}** ${mark(seq.addedP99 <= 5)} | ${tDirect.perSecond.toFixed(0)} | **${tSb.perSecond.toFixed(0)}** ${mark(tSb.perSecond >= 1300)} | ${tDirect.failed} / ${tSb.failed} |`;
      },
    )
    .join('\n');
  const cpuColumns = ['platform', 'gateway', 'worker', 'proxy', 'redis', 'postgres', 'upstream', 'client'];
  const cpuRows = Object.entries(results)
    .map(([shape, { cpuPerRun }]) => {
      const cells = cpuColumns.map((k) => (cpuPerRun[k] === undefined ? '—' : cpuPerRun[k].toFixed(2)));
      const sum = Object.values(cpuPerRun).reduce((a, b) => a + b, 0);
      return `| ${shape} | ${cells.join(' | ')} | **${sum.toFixed(2)}** |`;
    })
    .join('\n');
  const section = `<!-- gateway-bench:start -->
## Gateway path: direct upstream vs through Switchboard

Command: \`npm run bench\` (BENCH_SEQUENTIAL=${SEQUENTIAL}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${SECONDS}, BENCH_DELTAS=${DELTAS})
Machine: ${machine()}
Date: ${new Date().toISOString()}

The client (a lean keep-alive HTTP client, the same for every path), the fake upstream (its own process, ${DELTAS}
text deltas per answer), Redis and Switchboard all share the machine. Time to first token (TTFT) is measured to
the first chunk that carries text. *Direct* is the client calling the upstream; *through Switchboard* is a plain
\`provider/model\` call, which the gateway runs itself (\`server.inline_runs\`, the default): job and lease
stored in Redis, every event written to the run's Redis Stream before the client gets it, the record queued on
a Redis Stream and written to the database by a worker in batches. Shapes: *all-in-one* is \`switchboard start\`
(gateway, api and worker in one process, embedded PGlite in a thread of its own), what \`npm start\` runs;
*split* is \`switchboard start gateway\` and \`switchboard start worker\` as two processes on PostgreSQL, the
scale-out shape; *proxy* is, for reference, a stateless Node proxy (scripts/bench/proxy.mjs: no queue, no event
log, no records) in front of the same upstream. Targets (Switchboard): added TTFT p50 ≤ 1.5 ms and p99 ≤ 5 ms,
≥ 1,300 streams/s at ${CONCURRENCY} concurrent. Runs on this shared VM vary by about ±20% from one to the next,
and the machine behind it from one day to the next by far more (the direct path's throughput column is the
yardstick: 6,000 to 34,000 streams/s have been seen), so read one run's figures with that in mind.

| shape | TTFT direct p50 / p99 (ms) | TTFT through Switchboard (or the proxy) p50 / p99 (ms) | added p50 | added p99 | direct streams/s | Switchboard (or proxy) streams/s | failed (direct / SB) |
|---|---|---|---|---|---|---|---|
${rows}

CPU per completed stream during the Switchboard throughput phase, by process (ms; from /proc, so Linux only).
Two cores give 2,000 ms of CPU per second: the sum bounds streams per second.

| shape | ${cpuColumns.join(' | ')} | sum |
|---|${cpuColumns.map(() => '---').join('|')}|---|
${cpuRows}
${
  cache
    ? `
Response cache (\`cache.enabled: true\`, split shape): the same question ${CACHE_REQUESTS} times through the gateway, every
answer a hit, interleaved with asking a provider directly that takes ${CACHE_FIRST_DELTA_MS} ms to its first token.

| | TTFT p50 (ms) | TTFT p99 (ms) | whole answer p50 (ms) |
|---|---|---|---|
| provider, direct | ${f(cache.providerTtftP50)} | ${f(cache.providerTtftP99)} | ${f(cache.providerTotalP50)} |
| cache hit through Switchboard | **${f(cache.hitTtftP50)}** (${ok(cache.hitTtftP50 < cache.providerTtftP50)}: faster than the provider) | ${f(cache.hitTtftP99)} | ${f(cache.hitTotalP50)} |
`
    : ''
}
<!-- gateway-bench:end -->`;
  let doc;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nEvery figure here was written by `npm run bench` on the machine it names.\n\n<!-- gateway-bench:start -->\n<!-- gateway-bench:end -->\n';
  }
  doc = doc.replace(/<!-- gateway-bench:start -->[\s\S]*<!-- gateway-bench:end -->/, section);
  writeFileSync(file, doc);
  console.log(`wrote ${path.relative(root, file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
