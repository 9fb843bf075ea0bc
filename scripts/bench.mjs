#!/usr/bin/env node
// `npm run bench`: what Switchboard adds on top of a direct call to the same upstream, measured in one run with
// the same client. Writes docs/BENCHMARKS.md. See that file for how to read the figures.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { makeClient } from './bench/sse-client.mjs';

const root = path.resolve(import.meta.dirname, '..');
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const KEY = 'sb-bench-key';

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function startProcess(args, env, ready) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d.toString();
      const m = ready(out);
      if (m) resolve({ child, match: m });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

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
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSecond: done / secs, done, failed };
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const prefix = `sbbench-${randomUUID().slice(0, 8)}`;
  const { child: upstreamProc, match: upstreamUrl } = await startProcess(
    [path.join(root, 'scripts/bench/upstream.mjs')],
    {},
    (out) => out.match(/^(http:\/\/\S+)$/m)?.[1],
  );
  const configPath = path.join(dir, 'bench.yaml');
  writeFileSync(
    configPath,
    `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: "${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}", prefix: ${prefix} }
data_dir: ${dir}/data
auth: { api_key: ${KEY} }
log_level: warn
providers:
  - { name: up, type: openai-compatible, base_url: "${upstreamUrl}", models: [m] }
auto_pick: { priority: [up] }
rate_limit: { requests_per_minute: 100000000 }
queue: { concurrency: ${Math.max(64, CONCURRENCY * 2)} }
`,
  );
  const platformArgs = [path.join(root, 'apps/cli/dist/main.js'), 'start'];
  const { child: platformProc, match: gatewayUrl } = await startProcess(
    platformArgs,
    { SWITCHBOARD_CONFIG: configPath, LOG_LEVEL: 'warn' },
    (out) => (/^worker\s/m.test(out) && /^api\s/m.test(out) ? out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1] : undefined),
  );
  const direct = upstreamUrl;
  const viaSb = `${gatewayUrl}/v1`;
  const stream = makeClient(Math.max(64, CONCURRENCY * 2));
  try {
    console.log(`upstream ${direct}\nswitchboard ${viaSb}`);
    for (let i = 0; i < 300; i++) {
      await stream(direct, KEY, 'm');
      await stream(viaSb, KEY, 'up/m');
    }
    const d = [];
    const s = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      d.push((await stream(direct, KEY, 'm')).ttft);
      s.push((await stream(viaSb, KEY, 'up/m')).ttft);
    }
    const seq = {
      directP50: percentile(d, 50),
      directP99: percentile(d, 99),
      sbP50: percentile(s, 50),
      sbP99: percentile(s, 99),
    };
    seq.addedP50 = seq.sbP50 - seq.directP50;
    seq.addedP99 = seq.sbP99 - seq.directP99;
    console.log('sequential TTFT (ms)', seq);
    const tDirect = await throughput(stream, direct, 'm');
    const tSb = await throughput(stream, viaSb, 'up/m');
    console.log('throughput', { direct: tDirect, switchboard: tSb });
    writeReport({ seq, tDirect, tSb });
  } finally {
    platformProc.kill('SIGTERM');
    upstreamProc.kill('SIGTERM');
    await new Promise((r) => platformProc.once('exit', r));
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function writeReport({ seq, tDirect, tSb }) {
  const file = path.join(root, 'docs/BENCHMARKS.md');
  const f = (x) => x.toFixed(2);
  const ok = (cond) => (cond ? 'met' : 'NOT met');
  const section = `<!-- gateway-bench:start -->
## Gateway path: direct upstream vs through Switchboard

Command: \`npm run bench\` (BENCH_SEQUENTIAL=${SEQUENTIAL}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${SECONDS})
Machine: ${machine()}
Date: ${new Date().toISOString()}

Client, fake upstream (16 text deltas per answer), Redis and Switchboard (gateway + worker + api in one
process, embedded PGlite, every run recorded) all share the machine. The client is the same lean HTTP client
for both paths; time to first token (TTFT) is measured to the first chunk with text in it.

| | direct | through Switchboard | added | target |
|---|---|---|---|---|
| TTFT p50, sequential (ms) | ${f(seq.directP50)} | ${f(seq.sbP50)} | **${f(seq.addedP50)}** | ≤ 1.5 (${ok(seq.addedP50 <= 1.5)}) |
| TTFT p99, sequential (ms) | ${f(seq.directP99)} | ${f(seq.sbP99)} | **${f(seq.addedP99)}** | ≤ 5 (${ok(seq.addedP99 <= 5)}) |
| completed streams/s at ${CONCURRENCY} concurrent | ${tDirect.perSecond.toFixed(0)} | **${tSb.perSecond.toFixed(0)}** | | ≥ 1300 (${ok(tSb.perSecond >= 1300)}) |
| failed streams | ${tDirect.failed} | ${tSb.failed} | | 0 |
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
