import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BenchmarkDto, CatalogueModelDto, ModelCatalogueDto, ModelDownloadDto, ModelSelectionDto } from '@switchboard/contracts';
import { type FakeLocalServer, type FakeModelHub, type FakeUpstream, startFakeModelHub, startFakeUpstream } from '@switchboard/testing';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { waitUntil } from './fault-support.js';
import { generatedModel, manifestEntry as entry, modelProvidersYaml, startDiscoveredServers, writeManifest } from './model-fixtures.js';
import { cleanUp, type PlatformProcess, repoRoot, startPlatformProcess } from './platform-process.js';

/**
 * The models issue end to end, on the built platform (`switchboard start`): the catalogue with a fake Docker
 * Model Runner and a fake Ollama; downloads as worker jobs over real HTTP from a loopback model hub (progress
 * over socket.io, resume, checksum failure, cancel, disk full on a small tmpfs); a finished download served
 * with no restart; `select` applied to running workers; the test model only under its own id; benchmarks of
 * the test model against a fake remote upstream; and the CLI talking to the running platform.
 */
const ADMIN = 'models-e2e-admin-key-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };

let platform: PlatformProcess;
let hub: FakeModelHub;
let bigHub: FakeModelHub;
let slowHub: FakeModelHub;
let upstream: FakeUpstream;
let dmr: FakeLocalServer;
let ollama: FakeLocalServer;
let dir: string;
let modelsDir: string;
let gguf: Buffer;
let tmpfs = false;
let socket: Socket;
const events: { type: string; state: ModelDownloadDto }[] = [];

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${platform.urls.api}${route}`, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function chat(model: string, stream = false): Promise<{ status: number; text: string; runId: string | null }> {
  const res = await fetch(`${platform.urls.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, max_tokens: 8, temperature: 0, seed: 1, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  return { status: res.status, text: await res.text(), runId: res.headers.get('x-run-id') };
}

/** Waits until the model's download ended (or `until` holds) and returns its state. */
async function downloadState(name: string, until: (s: ModelDownloadDto) => boolean = (s) => ['completed', 'failed', 'cancelled'].includes(s.status)): Promise<ModelDownloadDto> {
  let state: ModelDownloadDto | null = null;
  await waitUntil(async () => {
    state = (await api<CatalogueModelDto>('GET', `/api/models/${name}`)).body.download;
    return state !== null && until(state);
  }, 20000, 50);
  if (!state) throw new Error(`no download state for ${name}`);
  return state;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/dist/main.js'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SWITCHBOARD_CONFIG: platformConfigPath(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-models-e2e-'));
  modelsDir = path.join(dir, 'models');
  mkdirSync(modelsDir);
  // Disk full for real: the models folder on a tmpfs of 8 MB (needs root to mount; without it those tests skip).
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', modelsDir], { stdio: 'ignore' });
    tmpfs = true;
  } catch {
    tmpfs = false;
  }
  const model = await generatedModel(path.join(dir, 'served.gguf'));
  gguf = model.gguf;
  const sha = model.sha256;
  hub = await startFakeModelHub(gguf);
  bigHub = await startFakeModelHub(randomBytes(16 * 1024 * 1024));
  slowHub = await startFakeModelHub(randomBytes(1024 * 1024));
  upstream = await startFakeUpstream({ models: ['fake-model'], reply: { type: 'completion', text: 'Paris' } });
  ({ dmr, ollama } = await startDiscoveredServers());

  writeManifest(modelsDir, [
    entry('tiny', `${hub.url}/ok/resolve/main/tiny.gguf`, gguf.length, null),
    entry('flaky', `${hub.url}/drop/resolve/main/flaky.gguf`, gguf.length, sha),
    entry('corrupt', `${hub.url}/corrupt/resolve/main/corrupt.gguf`, gguf.length, sha),
    entry('slow', `${slowHub.url}/slow/resolve/main/slow.gguf`, 1024 * 1024, null),
    entry('big', `${bigHub.url}/ok/resolve/main/big.gguf`, 16 * 1024 * 1024, null),
    // Announces nothing and claims to be small: only the disk filling up stops it.
    entry('unsized', `${bigHub.url}/unsized/resolve/main/unsized.gguf`, 300_000, null),
    entry('colossal', `${hub.url}/ok/resolve/main/colossal.gguf`, gguf.length, null, 1e15),
  ]);
  // A partial file an earlier attempt left: the download resumes after it.
  writeFileSync(path.join(modelsDir, 'flaky.gguf.part'), gguf.subarray(0, 100_000));

  platform = await startPlatformProcess({
    dir,
    configYaml: ({ prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN} }
${modelProvidersYaml(upstream.url, [`{ name: tiny, file: ${modelsDir}/tiny.gguf, params: { n_ctx: 512, threads: 1 } }`])}
models:
  dir: ${modelsDir}
  min_free_disk_mb: 0
  discovery: { docker_model_runner_url: ${dmr.url}, ollama_url: ${ollama.url}, timeout_ms: 2000 }
`,
  });
  socket = io(platform.urls.api!, { path: '/socket.io', auth: { token: ADMIN }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  for (const type of ['model.download.progress', 'model.download.completed', 'model.download.failed']) {
    socket.on(type, (state: ModelDownloadDto) => events.push({ type, state }));
  }
}, 120000);

/** The config file the platform process runs on (its name is random; it is the only yaml the harness wrote). */
function platformConfigPath(): string {
  const out = execFileSync('ls', [dir]).toString().split('\n').find((f) => /^switchboard-.*\.yaml$/.test(f));
  return path.join(dir, out!);
}

afterAll(async () => {
  socket?.disconnect();
  await platform?.stop();
  for (const closable of [hub, bigHub, slowHub, upstream, dmr, ollama]) await closable?.close();
  if (tmpfs) execFileSync('umount', [modelsDir]);
  await cleanUp(platform);
}, 60000);

describe('the model catalogue', () => {
  it('lists configured, manifest, test and discovered models, with what fits this machine', async () => {
    const { status, body } = await api<ModelCatalogueDto>('GET', '/api/models');
    expect(status).toBe(200);
    expect(body.local_servers.map((s) => [s.kind, s.available, s.models])).toEqual([
      ['docker-model-runner', true, 1],
      ['ollama', true, 1],
    ]);
    const ids = body.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['local/tiny', 'local/flaky', 'local/test-model', 'remote/fake-model', 'docker-model-runner:ai/smollm2', 'ollama:llama3.2:1b']));
    expect(body.data.find((m) => m.id === 'local/tiny')).toMatchObject({ default: true, file: { present: false }, hint: expect.stringContaining('switchboard models download tiny') });
    expect(body.data.find((m) => m.id === 'local/colossal')?.memory).toMatchObject({ fits: false, basis: 'manifest' });
    expect(body.data.find((m) => m.id === 'local/test-model')).toMatchObject({ test_model: true, file: { present: true } });
  });

  it('answers a missing model with how to get it, and serves the test model only as local/test-model, saying so', async () => {
    const missing = await chat('local/tiny');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Get it with `switchboard models download tiny` (or POST /api/models/tiny/download)');
    expect((await chat('local/no-such-model')).status).toBe(404);

    const json = await chat('local/test-model');
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text)).toMatchObject({ model: 'local/test-model', system_fingerprint: 'switchboard-test-model' });
    const streamed = await chat('local/test-model', true);
    const chunks = streamed.text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { system_fingerprint: string | null });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.system_fingerprint === 'switchboard-test-model')).toBe(true);
  });
});

describe('downloads as jobs', () => {
  it('downloads on a worker with progress over socket.io, records the checksum, and serves the model with no restart', async () => {
    const started = await api<ModelDownloadDto>('POST', '/api/models/tiny/download', {});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ model: 'tiny', status: 'queued', job_id: 'download-tiny' });
    const state = await downloadState('tiny');
    expect(state).toMatchObject({ status: 'completed', received_bytes: gguf.length, sha256: createHash('sha256').update(gguf).digest('hex') });
    expect(readFileSync(path.join(modelsDir, 'tiny.gguf')).equals(gguf)).toBe(true);
    expect(await waitUntil(() => events.some((e) => e.type === 'model.download.completed' && e.state.model === 'tiny'), 5000)).toBe(true);
    expect(events.some((e) => e.type === 'model.download.progress' && e.state.model === 'tiny')).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8')) as { models: { name: string; sha256: string | null }[] };
    expect(manifest.models.find((m) => m.name === 'tiny')?.sha256).toBe(state.sha256);

    const row = (await api<CatalogueModelDto>('GET', '/api/models/tiny')).body;
    expect(row).toMatchObject({ file: { present: true }, memory: { basis: 'gguf' } });
    // The request that failed before the download now loads the file (the router rechecks a missing file
    // within seconds, so the first tries may still be refused).
    let answer = await chat('local/tiny');
    await waitUntil(async () => (answer = await chat('local/tiny')).status === 200, 15000, 200);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ model: 'local/tiny', system_fingerprint: null });

    const again = await api<{ error: { message: string } }>('POST', '/api/models/tiny/download', {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('"force": true');
  }, 60000);

  it('resumes a partial file and a dropped connection, verifying the pinned checksum', async () => {
    const before = hub.ranges.length;
    expect((await api('POST', '/api/models/flaky/download', {})).status).toBe(202);
    const state = await downloadState('flaky');
    expect(state).toMatchObject({ status: 'completed', received_bytes: gguf.length });
    const ranges = hub.ranges.slice(before);
    expect(ranges[0]).toBe('bytes=100000-');
    // The hub cut the first answer halfway: the reconnect asked for the rest only.
    expect(Number(ranges.at(-1)!.slice(6, -1))).toBeGreaterThan(100_000);
    expect(readFileSync(path.join(modelsDir, 'flaky.gguf')).equals(gguf)).toBe(true);
  }, 60000);

  it('a checksum mismatch fails the download for good and deletes the partial file', async () => {
    expect((await api('POST', '/api/models/corrupt/download', {})).status).toBe(202);
    const state = await downloadState('corrupt');
    expect(state).toMatchObject({ status: 'failed', failure: 'checksum' });
    expect(state.error).toContain('checksum mismatch');
    expect(existsSync(path.join(modelsDir, 'corrupt.gguf.part'))).toBe(false);
    expect(existsSync(path.join(modelsDir, 'corrupt.gguf'))).toBe(false);
    expect(await waitUntil(() => events.some((e) => e.type === 'model.download.failed' && e.state.model === 'corrupt'), 5000)).toBe(true);
  }, 60000);

  it('cancels a running download, keeping what arrived to resume', async () => {
    expect((await api('POST', '/api/models/slow/download', {})).status).toBe(202);
    await downloadState('slow', (s) => s.status === 'downloading' && s.received_bytes > 0);
    const cancel = await api<ModelDownloadDto>('DELETE', '/api/models/slow/download');
    expect(cancel.status).toBe(202);
    const state = await downloadState('slow');
    expect(state.status).toBe('cancelled');
    const kept = statSync(path.join(modelsDir, 'slow.gguf.part')).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(1024 * 1024);
    expect(existsSync(path.join(modelsDir, 'slow.gguf'))).toBe(false);
    // Nothing left to cancel.
    expect((await api('POST', '/api/models/slow/download/cancel')).status).toBe(409);
  }, 60000);

  it('refuses unknown models and bad bodies in the API error shape', async () => {
    const unknown = await api<{ error: { type: string; message: string } }>('POST', '/api/models/gpt-9/download', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: 'not_found_error', message: expect.stringContaining('known: tiny, flaky') });
    const bad = await api<{ error: { type: string } }>('POST', '/api/models/tiny/download', { force: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('invalid_request_error');
    const res = await fetch(`${platform.urls.api}/api/models/tiny/download`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('selecting the default local model', () => {
  it('edits the config and the running worker serves the model for auto from the next run on', async () => {
    const { status, body } = await api<ModelSelectionDto>('POST', '/api/models/flaky/select');
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_id: 'local/flaky', change: 'added', applied: true, config_path: platformConfigPath() });
    expect(readFileSync(platformConfigPath(), 'utf8')).toMatch(/models:\n\s+- name: flaky\n/);

    const run = await chat('auto');
    expect(run.status).toBe(200);
    let providerModel: string | null = null;
    await waitUntil(async () => {
      providerModel = (await api<{ provider_model: string | null }>('GET', `/api/runs/${run.runId}`)).body.provider_model;
      return providerModel !== null;
    }, 10000, 50);
    expect(providerModel).toBe('flaky');
  }, 60000);
});

describe('benchmarks', () => {
  it('runs the test model and a remote model side by side on a worker, stores the results and recommends', async () => {
    const created = await api<BenchmarkDto>('POST', '/api/benchmarks', { models: ['local/test-model', 'remote/fake-model'], reference_model: 'remote/fake-model', max_tokens: 8 });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', models: ['local/test-model', 'remote/fake-model'], prompt_set: 'standard' });
    let done: BenchmarkDto = created.body;
    await waitUntil(async () => {
      done = (await api<BenchmarkDto>('GET', `/api/benchmarks/${created.body.id}`)).body;
      return done.status === 'succeeded' || done.status === 'failed';
    }, 60000, 200);
    expect(done.status).toBe('succeeded');
    const local = done.results.find((r) => r.model === 'local/test-model')!;
    const remote = done.results.find((r) => r.model === 'remote/fake-model')!;
    expect(local).toMatchObject({ provider: 'local', provider_model: 'test-model', local: true, prompts: 8, errors: 0, cost: 0, quality: { method: 'token-f1' } });
    expect(local.peak_rss_bytes).toBeGreaterThan(10_000_000);
    expect(local.latency_ms!.p50).toBeGreaterThan(0);
    expect(local.completion_tokens).toBeGreaterThan(0);
    // The fake upstream listens on loopback, so it counts as a local server; it is not this process: no RSS.
    expect(remote).toMatchObject({ local: true, peak_rss_bytes: null, errors: 0, quality: { method: 'token-f1', score: 1 } });
    expect(remote.ttft_ms!.p50).toBeGreaterThan(0);
    expect(local.tokens_per_second).toBeGreaterThan(0);
    // Priced at 1 per million input tokens and 2 per million output tokens.
    expect(remote.cost).toBeCloseTo((remote.prompt_tokens * 1 + remote.completion_tokens * 2) / 1e6, 12);
    expect(remote.answers.map((a) => a.text)).toEqual(Array(8).fill('Paris'));
    expect(done.recommendations).toEqual([{ agent: 'helper', model: expect.any(String), reason: expect.stringContaining('quality') }]);

    const list = await api<{ data: BenchmarkDto[] }>('GET', '/api/benchmarks');
    expect(list.body.data.map((b) => b.id)).toContain(created.body.id);
    const agent = await api<{ error: { details: { path: string }[] } }>('POST', '/api/benchmarks', { models: ['helper', 'nope/x'] });
    expect(agent.status).toBe(400);
    expect(agent.body.error.details.map((d) => d.path)).toEqual(['models.0', 'models.1']);
  }, 90000);
});

describe('the CLI against the running platform', () => {
  it('lists the catalogue and creates a key through the API while the platform holds the embedded database', async () => {
    const env = { SWITCHBOARD_URL: platform.urls.api!, SWITCHBOARD_KEY: ADMIN };
    const list = await runCli(['models', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain('local/flaky (default)');
    expect(list.out).toContain('Ollama at');
    const key = await runCli(['keys', 'create', '--name', 'from-cli'], env);
    expect(key.code).toBe(0);
    expect(JSON.parse(key.out)).toMatchObject({ name: 'from-cli', role: 'user', key: expect.stringMatching(/^sb-/) });
    const down = await runCli(['models', 'list'], { SWITCHBOARD_URL: 'http://127.0.0.1:9', SWITCHBOARD_KEY: ADMIN });
    expect(down.code).toBe(1);
    expect(down.out).toContain('SWITCHBOARD_URL=http://127.0.0.1:9 does not answer');
  }, 60000);
});

describe('the CLI without a platform', () => {
  it('builds the catalogue and runs a benchmark in its own process, storing it in its own database', async () => {
    // A second install beside the running one: its own data folder (PGlite), no api up on its port.
    const alone = path.join(dir, 'alone.yaml');
    writeFileSync(
      alone,
      `log_level: warn\nserver: { api_port: 9 }\ndata_dir: ${dir}/alone-data\nredis: { prefix: ${platform.prefix}-alone }\n` +
        `models: { dir: ${dir}/alone-models, discovery: { docker_model_runner_url: "", ollama_url: "" } }\n` +
        'providers:\n  - { name: local, type: llama-cpp, models: [] }\n',
    );
    const env = { SWITCHBOARD_CONFIG: alone };
    const list = await runCli(['models', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain('local/test-model');
    const bench = await runCli(['bench', 'local/test-model', '--max-tokens', '4'], env);
    expect(bench.out).toContain('running local/test-model in this process (no platform is up)');
    expect(bench.out).toMatch(/local\/test-model\s+local\s+\d+ ms/);
    expect(bench.out).toContain('Recommendations:');
    expect(bench.code).toBe(0);
  }, 150000);
});

describe('disk full (models folder on an 8 MB tmpfs)', () => {
  const onTmpfs = (): boolean => {
    if (!tmpfs) console.warn('skipped: could not mount a tmpfs (needs root)');
    return tmpfs;
  };

  it('refuses a download that does not fit before writing a byte', async () => {
    if (!onTmpfs()) return;
    expect((await api('POST', '/api/models/big/download', {})).status).toBe(202);
    const state = await downloadState('big');
    expect(state).toMatchObject({ status: 'failed', failure: 'disk' });
    expect(state.error).toContain('not enough free disk space for big.gguf');
    expect(existsSync(path.join(modelsDir, 'big.gguf.part'))).toBe(false);
  }, 60000);

  it('stops a download when the disk fills up, keeping the partial file', async () => {
    if (!onTmpfs()) return;
    expect((await api('POST', '/api/models/unsized/download', {})).status).toBe(202);
    const state = await downloadState('unsized');
    expect(state).toMatchObject({ status: 'failed', failure: 'disk' });
    expect(state.error).toContain('is full');
    expect(statSync(path.join(modelsDir, 'unsized.gguf.part')).size).toBeGreaterThan(1_000_000);
  }, 60000);
});
