import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const file = tmp.write(
  'switchboard.yaml',
  `
server:
  gateway_port: 9000
  heartbeat_ms: 3000
database:
  url: postgresql://file-host/sb
log_level: warn
providers:
  - name: local
    type: llama-cpp
  - name: open-router
    type: openai-compatible
    preset: openrouter
    api_key: sk-file
auto_pick:
  priority: [local, open-router]
`,
);
const load = (env: NodeJS.ProcessEnv) => loadConfig({ path: file, env, cwd: tmp.dir });
const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('env overrides: env > file > defaults', () => {
  it('core variables beat the file, the file beats the defaults', () => {
    expect(load({}).server.gateway_port).toBe(9000);
    expect(load({}).server.api_port).toBe(8000);
    const config = load({
      GATEWAY_PORT: '9100',
      API_PORT: '9101',
      WORKER_PORT: '9102',
      DATABASE_URL: 'mariadb://env-host/sb',
      REDIS_URL: 'redis://env-redis:6380',
      LOG_LEVEL: 'DEBUG',
      SWITCHBOARD_DATA_DIR: '/var/lib/switchboard',
      SWITCHBOARD_ADMIN_KEY: 'admin-1',
      SWITCHBOARD_API_KEY: '12345',
    });
    expect(config.server).toMatchObject({ gateway_port: 9100, api_port: 9101, worker_port: 9102 });
    expect(config.database.url).toBe('mariadb://env-host/sb');
    expect(config.redis.url).toBe('redis://env-redis:6380');
    expect(config.log_level).toBe('debug');
    expect(config.data_dir).toBe('/var/lib/switchboard');
    // A numeric-looking key stays text: the key takes a string.
    expect(config.auth).toEqual({ admin_key: 'admin-1', api_key: '12345', cache_ttl_ms: 10000 });
  });

  it('sets any scalar key through SWITCHBOARD__SECTION__KEY, typed as a YAML scalar', () => {
    expect(load({}).server.heartbeat_ms).toBe(3000);
    const config = load({
      SWITCHBOARD__SERVER__HEARTBEAT_MS: '2000',
      SWITCHBOARD__CACHE__ENABLED: 'false',
      SWITCHBOARD__QUEUE__CONCURRENCY: '2',
      SWITCHBOARD__REDIS__PREFIX: '0123',
    });
    expect(config.server.heartbeat_ms).toBe(2000);
    expect(config.cache.enabled).toBe(false);
    expect(config.queue.concurrency).toBe(2);
    expect(config.redis.prefix).toBe('0123');
  });

  it('lets the generic form win over the core variable for the same key', () => {
    expect(load({ GATEWAY_PORT: '9100', SWITCHBOARD__SERVER__GATEWAY_PORT: '9200' }).server.gateway_port).toBe(9200);
  });

  it('addresses list entries by name or index, and sets lists', () => {
    const config = load({
      SWITCHBOARD__PROVIDERS__OPEN_ROUTER__TIMEOUT_MS: '1000',
      SWITCHBOARD__PROVIDERS__0__ENABLED: 'false',
      SWITCHBOARD__AUTO_PICK__PRIORITY: 'open-router, local',
    });
    expect(config.providers.map((p) => [p.name, p.enabled, p.timeout_ms])).toEqual([
      ['local', false, 120000],
      ['open-router', true, 1000],
    ]);
    expect(config.auto_pick.priority).toEqual(['open-router', 'local']);
    expect(load({ SWITCHBOARD__AUTO_PICK__PRIORITY: '[local]' }).auto_pick.priority).toEqual(['local']);
  });

  it('ignores variables set to an empty string', () => {
    expect(load({ GATEWAY_PORT: '', SWITCHBOARD__SERVER__HEARTBEAT_MS: '' }).server).toMatchObject({
      gateway_port: 9000,
      heartbeat_ms: 3000,
    });
  });

  it('reports bad env values and unknown env keys by variable name', () => {
    expect(problemsOf({ GATEWAY_PORT: 'eighty' })).toEqual([
      'server.gateway_port: expected a number, got "eighty" (from env GATEWAY_PORT)',
    ]);
    expect(
      problemsOf({
        SWITCHBOARD__SERVER__HEARTBAET_MS: '1',
        SWITCHBOARD__PROVIDERS__NOPE__ENABLED: 'true',
        SWITCHBOARD__SERVER: 'x',
        SWITCHBOARD__QUEUE____ATTEMPTS: '1',
      }),
    ).toEqual([
      'SWITCHBOARD__PROVIDERS__NOPE__ENABLED: providers has no entry named "nope" in the file',
      'SWITCHBOARD__QUEUE____ATTEMPTS: empty path segment (separate keys with exactly two underscores)',
      'SWITCHBOARD__SERVER: server is a section; set its keys one by one (SWITCHBOARD__SERVER__<KEY>)',
      'SWITCHBOARD__SERVER__HEARTBAET_MS: server.heartbaet_ms is not a config key (did you mean "heartbeat_ms"?)',
    ]);
  });
});

describe('secrets from *_FILE', () => {
  const adminKey = tmp.write('admin_key', 'admin-from-file\n');
  const dbUrl = tmp.write('db_url', ' postgresql://sb:pw@secret-host/sb \n');

  it('reads each core variable from NAME_FILE, trimmed', () => {
    const config = load({ SWITCHBOARD_ADMIN_KEY_FILE: adminKey, DATABASE_URL_FILE: dbUrl });
    expect(config.auth.admin_key).toBe('admin-from-file');
    expect(config.database.url).toBe('postgresql://sb:pw@secret-host/sb');
  });

  it('lets NAME win over NAME_FILE', () => {
    expect(load({ SWITCHBOARD_ADMIN_KEY: 'direct', SWITCHBOARD_ADMIN_KEY_FILE: adminKey }).auth.admin_key).toBe('direct');
  });

  it('reads a generic key from SWITCHBOARD__..._FILE, the plain variable winning', () => {
    const key = tmp.write('or_key', 'sk-or-file\n');
    const apiKeyOf = (env: NodeJS.ProcessEnv) => {
      const provider = load(env).providers[1];
      return provider?.type === 'openai-compatible' ? provider.api_key : undefined;
    };
    expect(apiKeyOf({ SWITCHBOARD__PROVIDERS__OPEN_ROUTER__API_KEY_FILE: key })).toBe('sk-or-file');
    expect(
      apiKeyOf({ SWITCHBOARD__PROVIDERS__OPEN_ROUTER__API_KEY_FILE: key, SWITCHBOARD__PROVIDERS__OPEN_ROUTER__API_KEY: 'sk-env' }),
    ).toBe('sk-env');
  });

  it('names an unreadable file, never a value', () => {
    expect(problemsOf({ SWITCHBOARD_API_KEY_FILE: `${tmp.dir}/missing` })).toEqual([
      `SWITCHBOARD_API_KEY_FILE names ${tmp.dir}/missing, which cannot be read (ENOENT)`,
    ]);
  });
});
