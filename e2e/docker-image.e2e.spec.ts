import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '@switchboard/testing';
import { parse as parseYaml } from 'yaml';
import { dockerignore, execForm, parseDockerfile, runStage, type Stage, stageEnv } from './dockerfile-support.js';
import { repoRoot } from './platform-process.js';

/**
 * docker/Dockerfile and .dockerignore without a Docker engine (none runs on the project's machines). The
 * static half reads both files: every workspace is copied where it must be, and nothing the build reads is
 * ignored while what must stay out is. The other half carries out the Dockerfile's COPY and RUN lines in a
 * temporary folder, its real `npm install --omit=dev` included, and starts both images' commands from
 * exactly those files. The build stage is the one stage not carried out: its result is this repository's
 * own build (`npm test` builds first), made from the same sources by the same `npm run build`.
 */
const stages = parseDockerfile(readFileSync(path.join(repoRoot, 'docker/Dockerfile'), 'utf8'));
const ignored = dockerignore(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8'));
const tracked = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`docker/Dockerfile has no stage ${name}`);
  return found;
};
const copies = (name: string, from?: string) =>
  stage(name).instructions.filter((i) => i.keyword === 'COPY' && i.from === from).flatMap((i) => i.sources ?? []);

const rootPackage = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[]; scripts: Record<string, string> };
const workspaces = rootPackage.workspaces.flatMap((glob) => {
  const parent = glob.replace(/\/\*$/, '');
  return readdirSync(path.join(repoRoot, parent))
    .map((name) => `${parent}/${name}`)
    .filter((dir) => existsSync(path.join(repoRoot, dir, 'package.json')));
});

describe('docker/Dockerfile and .dockerignore (read)', () => {
  it('copies every workspace: its manifest before the install, its sources for the build, its dist into the image', () => {
    expect(workspaces.length).toBeGreaterThan(10);
    const manifests = copies('manifests');
    const buildSources = copies('build');
    const runtime = copies('runtime', 'build');
    for (const ws of workspaces) {
      expect(manifests).toContain(`${ws}/package.json`);
      expect(buildSources.some((source) => ws === source || ws.startsWith(`${source}/`))).toBe(true);
      expect(runtime).toContain(`/app/${ws}/dist`);
    }
    // Every project tsc builds is in the build context.
    const references = (JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { references: { path: string }[] }).references;
    for (const { path: ref } of references) {
      expect(buildSources.some((source) => ref === source || ref.startsWith(`${source}/`))).toBe(true);
      expect(ignored(ref)).toBe(false);
    }
    for (const file of ['package.json', 'package-lock.json', '.npmrc', 'prisma', 'scripts/prisma-generate.mjs', 'scripts/check-node.mjs']) {
      expect(manifests).toContain(file);
    }
  });

  it('ignores nothing the build or the image reads', () => {
    const read = tracked.filter(
      (file) =>
        ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.base.json', 'tsconfig.build.json', 'models/manifest.json'].includes(file) ||
        /^(apps|libs)\/[^/]+\/(package\.json|tsconfig\.lib\.json)$/.test(file) ||
        (/^(apps|libs)\/[^/]+\/src\//.test(file) && !file.endsWith('.spec.ts')) ||
        /^(prisma|config)\//.test(file) ||
        /^scripts\/(prisma-generate|check-node)\.mjs$/.test(file),
    );
    expect(read.length).toBeGreaterThan(200);
    expect(read.filter((file) => ignored(file))).toEqual([]);
    // And every source a COPY names from the context exists there.
    for (const s of stages) {
      for (const i of s.instructions) {
        if (i.keyword !== 'COPY' || i.from) continue;
        for (const source of i.sources ?? []) expect({ source, present: existsSync(path.join(repoRoot, source)) && !ignored(source) }).toEqual({ source, present: true });
      }
    }
  });

  it('keeps out what a host has installed, built or stored, and its secrets', () => {
    for (const file of [
      'node_modules/zod/package.json',
      'apps/api/node_modules/x/index.js',
      '.git/HEAD',
      'models/qwen2.5-0.5b-instruct-q4_k_m.gguf',
      'models/big.gguf.part',
      '.data/pglite/PG_VERSION',
      '.data/models/switchboard-test-model.gguf',
      'apps/cli/.data/x',
      '.env',
      '.env.production',
      'apps/gateway/dist/index.js',
      'libs/db/dist/generated/postgresql/client.js',
      'libs/db/src/generated/postgresql/client.ts',
      'libs/db/dist/.tsbuildinfo',
    ]) {
      expect({ file, ignored: ignored(file) }).toEqual({ file, ignored: true });
    }
    expect(ignored('.env.example')).toBe(false);
    expect(ignored('models/manifest.json')).toBe(false);
  });

  it('builds both images on the current Node LTS, the gateway/api one without node-llama-cpp', () => {
    const nodeImage = /^node:(\d+)-slim$/.exec(stage('base').base);
    expect(Number(nodeImage?.[1])).toBeGreaterThanOrEqual(24);
    expect(readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim()).toBe(nodeImage?.[1]);
    expect(stage('app').base).toBe('runtime');
    expect(stage('worker').base).toBe('runtime');
    expect(stage('app').instructions.find((i) => i.keyword === 'COPY')?.from).toBe('app-deps');
    expect(stage('worker').instructions.find((i) => i.keyword === 'COPY')?.from).toBe('prod-deps');
    expect(stage('app-deps').instructions.map((i) => i.args)).toEqual(['rm -rf node_modules/node-llama-cpp node_modules/@node-llama-cpp']);
    // The last stage is what a plain `docker build` makes: the full image, which runs every role.
    expect(stages.at(-1)?.name).toBe('worker');
  });

  it('runs the full image\'s all-in-one `start` with the Node flags `npm start` uses (the bench measures those)', () => {
    const flags = stageEnv(stages, 'worker')['NODE_OPTIONS'];
    expect(flags).toBe('--v8-pool-size=1');
    expect(rootPackage.scripts['start']).toMatch(new RegExp(`\\bnode ${flags} apps/cli/dist/main\\.js start$`));
    expect(execForm(stage('worker'), stages, 'CMD')).toEqual(['start']);
  });
});

interface ComposeService {
  build?: { target?: string };
  image?: string;
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  extra_hosts?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  command?: string[];
}

describe('compose.yml (read)', () => {
  const text = readFileSync(path.join(repoRoot, 'compose.yml'), 'utf8');
  const compose = parseYaml(text, { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const { api, gateway, worker, balancer } = compose.services as Record<string, ComposeService>;
  const seconds = (d: string | undefined): number => Number(/^(\d+)s$/.exec(d ?? '')?.[1] ?? 0);

  it('runs gateway and api on the lean image and workers on the full one', () => {
    expect(api?.build?.target).toBe('app');
    expect(gateway?.build?.target).toBe('app');
    expect(worker?.build?.target).toBe('worker');
    for (const service of [api, gateway, worker]) expect(stages.some((s) => s.name === service?.build?.target)).toBe(true);
  });

  it('lets gateways scale behind a load balancer that does not buffer SSE', () => {
    expect(gateway?.ports).toBeUndefined();
    expect(gateway?.expose).toEqual(['8080']);
    expect(balancer?.ports).toEqual(['${GATEWAY_PORT:-8080}:8080']);
    const caddyfile = readFileSync(path.join(repoRoot, 'docker/Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/dynamic a \{\s+name gateway\s+port 8080/);
    expect(caddyfile).toMatch(/flush_interval -1/);
    expect(caddyfile).toMatch(/read_timeout 0/);
  });

  it('gives drain and hand-over their time, keeps data in volumes and reaches host model servers', () => {
    const grace = Number(/SHUTDOWN_GRACE_MS:-(\d+)/.exec(gateway?.environment?.SWITCHBOARD__SERVER__SHUTDOWN_GRACE_MS ?? '')?.[1]) / 1000;
    expect(grace).toBeGreaterThan(0);
    expect(seconds(gateway?.stop_grace_period)).toBeGreaterThan(grace);
    expect(seconds(api?.stop_grace_period)).toBeGreaterThan(grace);
    // A worker drains its jobs, then gives the run records one more grace period.
    expect(seconds(worker?.stop_grace_period)).toBeGreaterThan(2 * grace);
    expect(worker?.volumes).toContain('workerdata:/app/.data');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['pgdata', 'redisdata', 'workerdata']));
    for (const service of [api, gateway, worker]) {
      expect(service?.extra_hosts).toContain('host.docker.internal:host-gateway');
      expect(service?.environment).toMatchObject({
        OPENROUTER_ENABLED: '${OPENROUTER_ENABLED:-false}',
        OLLAMA_BASE_URL: expect.stringContaining('host.docker.internal'),
        DMR_BASE_URL: expect.stringContaining('host.docker.internal'),
      });
    }
  });

  it('documents in .env.example every variable compose reads', () => {
    const example = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
    const variables = new Set([...text.matchAll(/\$\{(\w+)(?::?[-?][^}]*)?\}/g)].map((m) => m[1]!));
    expect(variables.size).toBeGreaterThan(5);
    for (const name of variables) expect({ name, documented: new RegExp(`^#?${name}=`, 'm').test(example) }).toEqual({ name, documented: true });
  });
});

interface Started {
  child: ChildProcess;
  urls: Record<string, string>;
  output: () => string;
}

/** Starts the image's ENTRYPOINT + CMD (or `command` instead of CMD) in the folder standing for its /app. */
async function startImage(dir: string, imageEnv: Record<string, string>, entrypoint: string[], command: string[], env: Record<string, string>): Promise<Started> {
  const [program, ...args] = [...entrypoint, ...command];
  // The image's paths are under /app: here that is `dir`.
  const mapped = Object.fromEntries(Object.entries(imageEnv).map(([k, v]) => [k, v.replace(/^\/app(?=\/|$)/, dir)]));
  const child = spawn(program === 'node' ? process.execPath : program!, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...mapped, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const expected = command.length > 1 ? [command[1]!] : ['gateway', 'api', 'worker'];
  const urls: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      for (const m of out.matchAll(/^(gateway|api|worker)\s+(http:\/\/\S+)$/gm)) urls[m[1]!] = m[2]!;
      if (expected.every((a) => urls[a])) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before starting:\n${out}`));
    });
  });
  return { child, urls, output: () => out };
}

function stop(started: Started | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return resolve();
    const kill = setTimeout(() => started.child.kill('SIGKILL'), 20_000);
    started.child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    started.child.kill('SIGTERM');
  });
}

const healthz = async (url: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: await res.json() };
};

describe('the images, assembled from exactly the files the Dockerfile copies', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'sb-image-'));
  const prefix = `sbimg-${randomUUID().slice(0, 8)}`;
  const running: Started[] = [];
  const done = new Map<string, string>();
  const runOptions = {
    context: repoRoot,
    ignored,
    workDir: work,
    prebuilt: { build: repoRoot },
    // The npm cache of this machine, used before the registry: the same install, without the download.
    env: { npm_config_prefer_offline: 'true' },
  };
  // Free ports, the embedded database in the image's own .data, a Redis prefix of its own.
  const appEnv = { GATEWAY_PORT: '0', API_PORT: '0', WORKER_PORT: '0', SWITCHBOARD__REDIS__PREFIX: prefix, LOG_LEVEL: 'warn' };

  beforeAll(() => {
    if (!existsSync(path.join(repoRoot, 'apps/cli/dist/main.js'))) throw new Error('build first: npm run build');
  });

  afterAll(async () => {
    await Promise.all(running.map((r) => stop(r)));
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      await deleteKeysUnder(redis, prefix);
    } finally {
      redis.disconnect();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'worker image: npm install --omit=dev works from the copied manifests and `start` serves every app',
    async () => {
      const { dir, env } = runStage(stages, 'worker', runOptions, done);
      expect(existsSync(path.join(dir, 'node_modules/node-llama-cpp/package.json'))).toBe(true);
      // Nothing of the host's build tree came along beyond what the COPY lines name.
      expect(existsSync(path.join(dir, 'apps/api/src'))).toBe(false);
      expect(existsSync(path.join(dir, 'node_modules/jest'))).toBe(false); // a dev dependency
      const started = await startImage(dir, env, execForm(stage('worker'), stages, 'ENTRYPOINT'), execForm(stage('worker'), stages, 'CMD'), appEnv);
      running.push(started);
      for (const app of ['gateway', 'api', 'worker']) expect(await healthz(started.urls[app]!)).toEqual({ status: 200, body: { status: 'ok' } });
      await stop(started);
    },
    15 * 60_000,
  );

  it(
    'app image: gateway and api start without node-llama-cpp, and a local model says why it cannot run there',
    async () => {
      const { dir, env } = runStage(stages, 'app', runOptions, done);
      expect(existsSync(path.join(dir, 'node_modules/node-llama-cpp'))).toBe(false);
      expect(existsSync(path.join(dir, 'node_modules/@node-llama-cpp'))).toBe(false);
      const entrypoint = execForm(stage('app'), stages, 'ENTRYPOINT');
      expect(execForm(stage('app'), stages, 'CMD')).toEqual(['start', 'gateway']);
      // Each role in its own process, as compose runs them; each has an embedded database of its own here.
      const gateway = await startImage(dir, env, entrypoint, ['start', 'gateway'], { ...appEnv, SWITCHBOARD_DATA_DIR: path.join(work, 'gw-data') });
      running.push(gateway);
      const api = await startImage(dir, env, entrypoint, ['start', 'api'], { ...appEnv, SWITCHBOARD_DATA_DIR: path.join(work, 'api-data') });
      running.push(api);
      expect(await healthz(gateway.urls.gateway!)).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await healthz(api.urls.api!)).toEqual({ status: 200, body: { status: 'ok' } });
      const models = (await (await fetch(`${gateway.urls.gateway}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain('local/qwen2.5-0.5b');

      const probe = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { createLlamaCppProvider } from './libs/providers/dist/index.js';
           const p = createLlamaCppProvider({ name: 'local', type: 'llama-cpp', enabled: true, models: [{ name: 'm', file: 'x.gguf', params: { parallel: 1 } }] });
           await p.languageModel('m').doGenerate({ messages: [{ role: 'user', content: 'hi' }] }).then(() => console.log('ran'), (e) => console.log(e.message));`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(probe).toContain('needs node-llama-cpp, which this installation does not have');
      await Promise.all([stop(gateway), stop(api)]);
    },
    15 * 60_000,
  );
});
