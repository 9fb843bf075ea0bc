import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { switchboardConfigSchema } from '@switchboard/contracts';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const tmp = tempDir();
afterAll(() => tmp.remove());

describe('the shipped config', () => {
  it('loads and validates from any app folder, with nothing set in the environment', () => {
    const config = loadConfig({ cwd: path.join(repoRoot, 'apps', 'worker'), env: {} });
    expect(config.server).toMatchObject({ gateway_port: 8080, api_port: 8000, worker_port: 8090, heartbeat_ms: 5000 });
    expect(config.database.url).toBeUndefined();
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.providers.map((p) => [p.name, p.type, p.enabled])).toEqual([
      ['local', 'llama-cpp', true],
      ['openrouter', 'openai-compatible', false],
    ]);
    const local = config.providers[0];
    if (local?.type !== 'llama-cpp') throw new Error('expected the local provider first');
    expect(local.models[0]).toMatchObject({
      name: 'qwen2.5-0.5b',
      file: path.join(repoRoot, 'models', 'qwen2.5-0.5b-instruct-q4_k_m.gguf'),
      params: { threads: 1, n_ctx: 4096, gpu_layers: 0 },
    });
    expect(config.data_dir).toBe(path.join(repoRoot, '.data'));
    expect(config.auto_pick.priority).toEqual(['local', 'openrouter']);
    expect(config.agents[0]).toMatchObject({ name: 'assistant', model: 'auto', on_budget_exceeded: 'background' });
    expect(config.auth).toEqual({ cache_ttl_ms: 10000 });
  });

  it('turns OpenRouter on from the environment as a real boolean, with its key', () => {
    const config = loadConfig({ cwd: repoRoot, env: { OPENROUTER_ENABLED: 'true', OPENROUTER_API_KEY: 'sk-or-1' } });
    expect(config.providers[1]).toMatchObject({ name: 'openrouter', enabled: true, api_key: 'sk-or-1' });
  });

  it('ships a remote-only example that validates', () => {
    const config = loadConfig({ path: 'config/examples/remote-only.yaml', cwd: repoRoot, env: {} });
    expect(config.providers.map((p) => p.name)).toEqual(['openrouter', 'hf', 'ollama']);
    expect(config.providers.every((p) => p.type === 'openai-compatible')).toBe(true);
    expect(config.providers.find((p) => p.name === 'hf')?.enabled).toBe(false);
  });

  it('ships a scale-out example that insists on shared Postgres and Redis URLs', () => {
    const file = path.join(repoRoot, 'config/examples/scale-out.yaml');
    expect(() => loadConfig({ path: file, env: {} })).toThrow(/database\.url: \$\{DATABASE_URL\} is required/);
    const config = loadConfig({
      path: file,
      env: { DATABASE_URL: 'postgresql://sb:pw@db:5432/sb', REDIS_URL: 'redis://redis:6379', LLAMA_THREADS: '8' },
    });
    expect(config.database.url).toBe('postgresql://sb:pw@db:5432/sb');
    expect(config.redis).toEqual({ url: 'redis://redis:6379', prefix: 'sb' });
    const local = config.providers[0];
    expect(local?.type === 'llama-cpp' && local.models[0]?.params.threads).toBe(8);
  });
});

describe('YAML features', () => {
  it('accepts top-level x- keys holding anchors, and overrides one aliased entry alone', () => {
    const file = tmp.write(
      'anchors.yaml',
      [
        'x-params: &params { n_ctx: 2048, threads: 2 }',
        'providers:',
        '  - name: local',
        '    type: llama-cpp',
        '    models:',
        '      - { name: a, file: a.gguf, params: *params }',
        '      - { name: b, file: b.gguf, params: { <<: *params, parallel: 2 } }',
        '      - { name: c, file: c.gguf, params: *params }',
      ].join('\n'),
    );
    const config = loadConfig({ path: file, cwd: tmp.dir, env: { SWITCHBOARD__PROVIDERS__LOCAL__MODELS__A__PARAMS__THREADS: '4' } });
    const local = config.providers[0];
    if (local?.type !== 'llama-cpp') throw new Error('expected a llama-cpp provider');
    expect(local.models.map((m) => [m.name, m.params.n_ctx, m.params.threads, m.params.parallel])).toEqual([
      ['a', 2048, 4, 1],
      ['b', 2048, 2, 2],
      ['c', 2048, 2, 1],
    ]);
    expect(config).not.toHaveProperty('x-params');
  });
});

describe('finding the file', () => {
  it('gives the schema defaults for an empty file', () => {
    const file = tmp.write('empty.yaml', '# nothing but a comment\n');
    const defaults = switchboardConfigSchema.parse({});
    expect(loadConfig({ path: file, env: {}, cwd: tmp.dir })).toEqual({
      ...defaults,
      data_dir: path.join(tmp.dir, '.data'),
      models: { ...defaults.models, dir: path.join(tmp.dir, 'models') },
    });
  });

  it('gives pure defaults when there is no config/switchboard.yaml at or above cwd', () => {
    const config = loadConfig({ cwd: tmp.dir, env: {} });
    const defaults = switchboardConfigSchema.parse({});
    expect(config).toEqual({ ...defaults, data_dir: path.join(tmp.dir, '.data'), models: { ...defaults.models, dir: path.join(tmp.dir, 'models') } });
  });

  it('finds config/switchboard.yaml from a subfolder and resolves relative paths from its project root', () => {
    const project = tempDir();
    project.write('config/switchboard.yaml', 'data_dir: state\nserver: { api_port: 9001 }\nmodels: { dir: weights }\n');
    project.write('apps/api/.keep', '');
    const config = loadConfig({ cwd: path.join(project.dir, 'apps', 'api'), env: {} });
    expect(config.server.api_port).toBe(9001);
    expect(config.data_dir).toBe(path.join(project.dir, 'state'));
    expect(config.models.dir).toBe(path.join(project.dir, 'weights'));
    project.remove();
  });

  it('reads the file named by SWITCHBOARD_CONFIG, and options.path before it', () => {
    const a = tmp.write('a.yaml', 'server: { api_port: 9100 }\n');
    const b = tmp.write('b.yaml', 'server: { api_port: 9200 }\n');
    expect(loadConfig({ cwd: tmp.dir, env: { SWITCHBOARD_CONFIG: a } }).server.api_port).toBe(9100);
    expect(loadConfig({ path: b, cwd: tmp.dir, env: { SWITCHBOARD_CONFIG: a } }).server.api_port).toBe(9200);
  });

  it('refuses an explicit path that does not exist', () => {
    const missing = path.join(tmp.dir, 'missing.yaml');
    expect(() => loadConfig({ path: missing, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ path: missing, env: {} })).toThrow(`${missing}:\n  - the file does not exist`);
    expect(() => loadConfig({ cwd: tmp.dir, env: { SWITCHBOARD_CONFIG: missing } })).toThrow(
      'the file does not exist (path from SWITCHBOARD_CONFIG)',
    );
  });
});
