#!/usr/bin/env node
// The local-model benchmark (run by `npm run bench` after the gateway bench; alone: build, then
// `node scripts/bench-local.mjs`): tokens/s of node-llama-cpp called directly vs the same GGUF, settings and
// seed streamed through the whole Switchboard path, in one run, then aggregate tokens/s through Switchboard at
// 1, 2 and 4 concurrent streams on a model with `parallel: 4`. Writes its own section of docs/BENCHMARKS.md.
//
// The model: the first manifest model present in models/ (a real one), else the generated test model. The
// test model is written with end-of-turn made impossible in its weights, so both paths run every answer to
// max_tokens; a real model ends turns when it likes (the gateway has no switch to stop that), so its figures
// come from the token counts each path reports.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getLlama, LlamaChat, resolveChatWrapper } from 'node-llama-cpp';
import { llamaCppProviderSchema } from '@switchboard/contracts';
import { createLlamaCppProvider, modelFilesOnDisk, readModelManifest } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import { cli, dropPrefix, machine, startNodeArgs, stop } from './bench/support.mjs';

const root = path.resolve(import.meta.dirname, '..');
const TOKENS = Number(process.env.BENCH_LOCAL_TOKENS ?? 256);
const N_CTX = 2048;
const THREADS = 1;
const SEED = 42;
const PARALLEL = 4;
const CONCURRENCY = [1, 2, 4];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'sb-bench-local-key';
const PROMPT = 'Write a long story about a lighthouse keeper and a storm.';
// Sampling both paths use: temperature and top_p go in the request; top_k 40 and min_p 0.05 are the llama-cpp
// adapter's defaults (llama.cpp server's), set here by hand for the direct path.
const SAMPLING = { temperature: 0.8, topP: 0.95, topK: 40, minP: 0.05 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * The models to measure, each with the runs it gets by default: a real manifest model when one is in models/;
 * otherwise two generated ones, written to a temp folder. The tiny test model is so fast (thousands of tokens/s)
 * that it shows the platform's cost per token at its worst; the CPU-sized one has random weights too, but the
 * shape of a small real model (~270 MB of F32 weights), so a token takes as long as a real small model's on a CPU.
 * Both are written with end-of-turn made impossible in their weights, so every answer runs to max_tokens.
 */
async function pickModels(dir) {
  const manifest = await readModelManifest(path.join(root, 'models/manifest.json'));
  const present = (await modelFilesOnDisk(manifest, path.join(root, 'models'))).filter((m) => m.present);
  const real = present.find((m) => m.model.name === manifest.default) ?? present[0];
  if (real) {
    return [{ key: 'real', file: real.path, label: `\`models/${real.model.file}\` (${real.model.name}, ${real.model.quantization}): a real model`, real: true, runs: 3, rounds: 1 }];
  }
  const describe = (info) =>
    `${info.blockCount} blocks, ${info.embeddingLength}-dim, ${info.headCount} heads (${info.headCountKv} KV), vocab ${info.vocabSize}, F32, ${(info.sizeBytes / 1e6).toFixed(1)} MB`;
  const tiny = await writeTestModel(path.join(dir, 'tiny.gguf'), { endOfTurnBias: -30 });
  const cpu = await writeTestModel(path.join(dir, 'cpu-sized.gguf'), {
    endOfTurnBias: -30,
    embeddingLength: 1024,
    blockCount: 6,
    headCount: 16,
    headCountKv: 2,
    feedForwardLength: 2816,
  });
  return [
    { key: 'tiny', file: tiny.path, label: `the tiny generated test model (\`writeTestModel\` defaults: ${describe(tiny)}; random weights)`, real: false, runs: 20, rounds: 10 },
    { key: 'cpu-sized', file: cpu.path, label: `a CPU-sized generated model (\`writeTestModel\` with ${describe(cpu)}; random weights, a small real model's cost per token)`, real: false, runs: 5, rounds: 2 },
  ];
}

/** node-llama-cpp on its own: one context sequence, as the adapter uses it, timed from the call to its return. */
async function directRunner(file) {
  const llama = await getLlama({ build: 'never', gpu: 'auto' });
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: N_CTX, sequences: 1, threads: THREADS, failedCreationRemedy: false });
  const sequence = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);
  const run = async (seed) => {
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    const before = sequence.tokenMeter.getState();
    const t0 = performance.now();
    let ttft;
    try {
      const response = await chat.generateResponse([{ type: 'user', text: PROMPT }, { type: 'model', response: [] }], {
        maxTokens: TOKENS,
        ...SAMPLING,
        seed,
        onTextChunk: (text) => {
          if (text !== '') ttft ??= performance.now() - t0;
        },
      });
      const ms = performance.now() - t0;
      return { tokens: sequence.tokenMeter.diff(before).usedOutputTokens, ms, ttft: ttft ?? ms, stop: response.metadata.stopReason };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  };
  return { run, close: () => llama.dispose() };
}

/**
 * Switchboard's llama-cpp adapter in this process, without gateway, queue or worker: tells a cost of the
 * adapter apart from a cost of the platform around it.
 */
function adapterRunner(file) {
  const config = llamaCppProviderSchema.parse({
    name: 'local',
    type: 'llama-cpp',
    models: [{ name: 'bench', file, params: { n_ctx: N_CTX, threads: THREADS, gpu_layers: 0, parallel: 1 } }],
  });
  const provider = createLlamaCppProvider(config, { gpu: 'auto' });
  const model = provider.languageModel('bench');
  const run = async (seed) => {
    const t0 = performance.now();
    let ttft;
    let usage;
    let finish;
    const { stream } = await model.doStream({ messages: [{ role: 'user', content: PROMPT }], maxTokens: TOKENS, seed, temperature: SAMPLING.temperature, topP: SAMPLING.topP });
    for await (const part of stream) {
      if (part.type === 'text-delta' && part.delta !== '') ttft ??= performance.now() - t0;
      else if (part.type === 'finish') ({ usage, finishReason: finish } = part);
      else if (part.type === 'error') throw part.error;
    }
    const ms = performance.now() - t0;
    return { tokens: usage.completion_tokens, ms, ttft: ttft ?? ms, stop: finish };
  };
  return { run, close: () => provider.close() };
}

/** One streamed chat completion through the gateway; tokens from the usage chunk, time to `[DONE]`. */
function gatewayRun(agent, baseUrl, modelId, seed) {
  const body = JSON.stringify({
    model: modelId,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: TOKENS,
    seed,
    temperature: SAMPLING.temperature,
    top_p: SAMPLING.topP,
    messages: [{ role: 'user', content: PROMPT }],
  });
  const url = new URL(`${baseUrl}/v1/chat/completions`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let buffer = '';
    let usage;
    let finish;
    let ms;
    let ttft;
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${KEY}` } },
      (res) => {
        res.setEncoding('utf8');
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => reject(new Error(`gateway answered ${res.statusCode}: ${text}`)));
          return;
        }
        res.on('data', (chunk) => {
          buffer += chunk;
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') {
              ms ??= performance.now() - t0;
              continue;
            }
            const event = JSON.parse(data);
            if (event.error) return reject(new Error(`stream error: ${event.error.message}`));
            if (event.usage) usage = event.usage;
            if (event.choices?.[0]?.delta?.content) ttft ??= performance.now() - t0;
            finish = event.choices?.[0]?.finish_reason ?? finish;
          }
        });
        res.on('end', () => {
          if (ms === undefined || !usage) reject(new Error('stream ended without usage and [DONE]'));
          else resolve({ tokens: usage.completion_tokens, ms, ttft: ttft ?? ms, stop: finish });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function configYaml({ dir, prefix, models }) {
  const params = (parallel) => `{ n_ctx: ${N_CTX}, threads: ${THREADS}, gpu_layers: 0, parallel: ${parallel} }`;
  const entries = models.flatMap((m) => [
    `      - { name: ${m.key}, file: ${JSON.stringify(m.file)}, params: ${params(1)} }`,
    `      - { name: ${m.key}-p${PARALLEL}, file: ${JSON.stringify(m.file)}, params: ${params(PARALLEL)} }`,
  ]);
  return `server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: "${REDIS_URL}", prefix: ${prefix} }
data_dir: ${JSON.stringify(path.join(dir, 'data'))}
auth: { api_key: ${KEY} }
log_level: warn
providers:
  - name: local
    type: llama-cpp
    models:
${entries.join('\n')}
auto_pick: { priority: [local] }
cache: { enabled: false }
rate_limit: { requests_per_minute: 100000000 }
`;
}

/** `switchboard start` (all-in-one, embedded PGlite) from the build, as `npm start` runs it; resolves with the gateway URL. */
function startPlatform(configPath) {
  const child = spawn(process.execPath, [...startNodeArgs, cli, 'start'], {
    cwd: root,
    env: { ...process.env, SWITCHBOARD_CONFIG: configPath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start in 60 s:\n${out}`)), 60000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const url = /^worker\s/m.test(out) ? out.match(/^gateway\s+(http:\/\/\S+)$/m)?.[1] : undefined;
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.stderr.on('data', (d) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`switchboard start exited ${code}:\n${out}`));
    });
  });
}

/** Measures every model, writes the report section (unless told not to) and returns the figures. */
export async function runLocalBench({ report = true } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-local-'));
  const prefix = `sbbenchlocal-${randomUUID().slice(0, 8)}`;
  const configPath = path.join(dir, 'bench-local.yaml');
  let platform;
  try {
    const models = await pickModels(dir);
    writeFileSync(configPath, configYaml({ dir, prefix, models }));
    platform = await startPlatform(configPath);
    const results = [];
    for (const model of models) results.push(await measureModel(model, platform.url));
    if (report) writeReport(results);
    return results;
  } finally {
    if (platform) await stop(platform.child);
    await dropPrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureModel(model, gatewayUrl) {
  const runs = Number(process.env.BENCH_LOCAL_RUNS ?? model.runs);
  const rounds = Number(process.env.BENCH_LOCAL_ROUNDS ?? model.rounds);
  console.log(`local bench: ${model.key} (${model.file})`);
  const direct = await directRunner(model.file);
  const adapter = adapterRunner(model.file);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const sb = (id, seed) => gatewayRun(agent, gatewayUrl, `local/${id}`, seed);
  try {
    // Warm-up: the worker loads the model on its first call, and every path settles its caches.
    for (let i = 0; i < 2; i++) {
      await direct.run(SEED);
      await adapter.run(SEED);
      await sb(model.key, SEED);
    }
    // Interleaved, so drift of a shared machine hits every path alike.
    const d = [];
    const a = [];
    const s = [];
    for (let i = 0; i < runs; i++) {
      d.push(await direct.run(SEED));
      a.push(await adapter.run(SEED));
      s.push(await sb(model.key, SEED));
    }
    const one = { direct: summarize(d), adapter: summarize(a), sb: summarize(s) };
    one.ratio = one.sb.tokensPerSecond / one.direct.tokensPerSecond;
    console.log(`local ${model.key} one stream`, JSON.stringify(one));
    // The direct and adapter copies are idle from here on; free their memory before the concurrent runs.
    await adapter.close();
    await direct.close();

    const pooled = `${model.key}-p${PARALLEL}`;
    await Promise.all(Array.from({ length: PARALLEL }, (_, i) => sb(pooled, SEED + i)));
    const concurrent = [];
    for (const c of CONCURRENCY) {
      let tokens = 0;
      let answers = 0;
      let ms = 0;
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const results = await Promise.all(Array.from({ length: c }, (_, i) => sb(pooled, SEED + i)));
        ms += performance.now() - t0;
        tokens += results.reduce((n, x) => n + x.tokens, 0);
        answers += results.length;
      }
      concurrent.push({ concurrency: c, answers, tokens, tokensPerSecond: tokens / (ms / 1000) });
    }
    console.log(`local ${model.key} concurrent`, JSON.stringify(concurrent));
    return { model, runs, rounds, one, concurrent };
  } finally {
    agent.destroy();
    await adapter.close().catch(() => undefined);
    await direct.close().catch(() => undefined);
  }
}

function summarize(results) {
  const perSecond = results.map((r) => r.tokens / (r.ms / 1000));
  const tokens = results.map((r) => r.tokens);
  return {
    tokensPerSecond: median(perSecond),
    minTokensPerSecond: Math.min(...perSecond),
    maxTokensPerSecond: Math.max(...perSecond),
    msP50: median(results.map((r) => r.ms)),
    ttftP50: median(results.map((r) => r.ttft)),
    // After the first token: generation speed without the fixed cost of a request (queueing, prompt evaluation).
    streamingTokensPerSecond: median(results.map((r) => (r.tokens - 1) / ((r.ms - r.ttft) / 1000))),
    tokensMin: Math.min(...tokens),
    tokensMax: Math.max(...tokens),
    stops: [...new Set(results.map((r) => r.stop))],
  };
}

function modelSection({ model, runs, rounds, one, concurrent }) {
  const f0 = (x) => x.toFixed(0);
  const tokensCell = (x) => (x.tokensMin === x.tokensMax ? `${x.tokensMin}` : `${x.tokensMin}–${x.tokensMax}`);
  const row = (name, x) =>
    `| ${name} | ${tokensCell(x)} | ${x.ttftP50.toFixed(1)} | ${x.msP50.toFixed(1)} | **${f0(x.tokensPerSecond)}** (${f0(x.minTokensPerSecond)}–${f0(x.maxTokensPerSecond)}) | ${f0(x.streamingTokensPerSecond)} |`;
  const all = [one.direct, one.sb, one.adapter];
  const exact = all.every((x) => x.tokensMin === TOKENS && x.tokensMax === TOKENS);
  const lengthNote = exact
    ? `Every answer on every path ran to exactly max_tokens (${TOKENS}).`
    : `Not every answer reached max_tokens (${TOKENS}): ${model.real ? 'a real model ends its turn when it likes, and ' : ''}the gateway has no switch to suppress end-of-turn, so tokens/s come from the token counts each path reported (direct: the context sequence's token meter; Switchboard: the usage chunk).`;
  const base = concurrent[0]?.tokensPerSecond ?? 1;
  const concurrentRows = concurrent
    .map((c) => `| ${c.concurrency} | ${c.answers} | ${c.tokens} | **${f0(c.tokensPerSecond)}** | ${(c.tokensPerSecond / base).toFixed(2)}× |`)
    .join('\n');
  return `### \`local/${model.key}\`: ${model.label}

${runs} answers per path (BENCH_LOCAL_RUNS), ${rounds} round(s) per concurrency level (BENCH_LOCAL_ROUNDS). ${lengthNote}

| path | tokens per answer | first token p50 (ms) | whole answer p50 (ms) | tokens/s p50 (min–max) | tokens/s after the first token p50 |
|---|---|---|---|---|---|
${row('node-llama-cpp direct', one.direct)}
${row('through Switchboard', one.sb)}
${row('(reference) llama-cpp adapter in-process', one.adapter)}

Ratio (Switchboard / direct, p50 tokens/s): **${one.ratio.toFixed(3)}** (target ≥ 0.95: ${one.ratio >= 0.95 ? 'met' : '**not met**'}); Switchboard adds
${(one.sb.msP50 - one.direct.msP50).toFixed(1)} ms per answer at p50, ${(one.sb.ttftP50 - one.direct.ttftP50).toFixed(1)} ms of it before the first token.

| concurrent streams (\`local/${model.key}-p${PARALLEL}\`) | answers | completion tokens | aggregate tokens/s | vs 1 stream |
|---|---|---|---|---|
${concurrentRows}`;
}

function writeReport(results) {
  const file = path.join(root, 'docs/BENCHMARKS.md');
  const section = `<!-- local-bench:start -->
## Local model: node-llama-cpp direct vs through Switchboard

Command: \`npm run bench\` (after the gateway bench; alone, on a build: \`node scripts/bench-local.mjs\`) (BENCH_LOCAL_TOKENS=${TOKENS})
Machine: ${machine()}
Date: ${new Date().toISOString()}

Every path runs the same GGUF with the same settings: threads ${THREADS}, n_ctx ${N_CTX}, gpu_layers 0, seed ${SEED},
temperature ${SAMPLING.temperature}, top_p ${SAMPLING.topP} (top_k ${SAMPLING.topK} and min_p ${SAMPLING.minP}: the adapter's defaults), max_tokens ${TOKENS},
one user message ("${PROMPT}"). *Direct* is node-llama-cpp's \`LlamaChat.generateResponse\` in the benchmark process
on one context sequence, timed from the call to its return. *Through Switchboard* is a streamed chat completion of
\`local/<model>\` over HTTP to \`switchboard start\` (all-in-one, what \`npm start\` runs: gateway → BullMQ → worker →
node-llama-cpp → run event stream → gateway, every run recorded in embedded PGlite), timed from sending the request
to \`[DONE]\`, counting the completion tokens of its usage chunk. The third row, for reference, is the project's
llama-cpp adapter called in the benchmark process (\`doStream\`: no gateway, queue or worker), which tells a cost of
the adapter apart from a cost of the platform around it. The three alternate answer by answer (after 2 warm-up
answers each), so drift of the shared machine hits all alike. With no real model in models/, two generated models
are measured: the tiny test model, so fast that the platform's cost per token shows at its worst, and a CPU-sized one
(random weights in the shape of a small real model, about as slow per token); both are written with end-of-turn made
impossible in their weights (\`endOfTurnBias: -30\`), identically for every path, because a request through the gateway
cannot suppress it. The concurrent runs use the same file and settings with \`parallel: ${PARALLEL}\` (one context, ${PARALLEL}
sequences evaluated in shared batches): each round starts all streams at once (seeds ${SEED}, ${SEED + 1}, …) and waits for
all; aggregate tokens/s = all completion tokens / wall time.

${results.map(modelSection).join('\n\n')}
<!-- local-bench:end -->`;
  let doc;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nEvery figure here was written by `npm run bench` on the machine it names.\n';
  }
  if (/<!-- local-bench:start -->[\s\S]*<!-- local-bench:end -->/.test(doc)) {
    doc = doc.replace(/<!-- local-bench:start -->[\s\S]*<!-- local-bench:end -->/, () => section);
  } else {
    doc = `${doc.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(file, doc);
  console.log(`wrote ${path.relative(root, file)} (local model section)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runLocalBench().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
