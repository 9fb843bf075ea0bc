import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

let count = 0;
const load = (yaml: string, env: NodeJS.ProcessEnv) =>
  loadConfig({ path: tmp.write(`interp-${++count}.yaml`, yaml), env, cwd: tmp.dir });
const problemsOf = (yaml: string, env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    load(yaml, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('${VAR} interpolation', () => {
  it('substitutes ${VAR}, and an unset variable becomes ""', () => {
    const config = load('server: { host: "${HOST}" }\nredis: { prefix: "pre-${UNSET}x" }\n', { HOST: '0.0.0.0' });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.redis.prefix).toBe('pre-x');
  });

  it('uses the default of ${VAR:-default} when VAR is unset or empty, and VAR when set', () => {
    const yaml = 'server: { host: "${HOST:-127.0.0.2}" }\n';
    expect(load(yaml, {}).server.host).toBe('127.0.0.2');
    expect(load(yaml, { HOST: '' }).server.host).toBe('127.0.0.2');
    expect(load(yaml, { HOST: '10.0.0.1' }).server.host).toBe('10.0.0.1');
  });

  it('types a substituted value by its key: numbers and booleans where expected, text where text is', () => {
    const yaml = [
      'server:',
      '  gateway_port: "${PORT:-9000}"',
      '  body_limit_mb: ${LIMIT}',
      'cache: { enabled: "${CACHE:-false}" }',
      'auth:',
      '  api_key: ${KEY}',
      'redis:',
      '  prefix: ${PREFIX}',
    ].join('\n');
    const config = load(yaml, { LIMIT: '2.5', KEY: '12345', PREFIX: 'true' });
    expect(config.server.gateway_port).toBe(9000);
    expect(config.server.body_limit_mb).toBe(2.5);
    expect(config.cache.enabled).toBe(false);
    expect(config.auth.api_key).toBe('12345');
    expect(config.redis.prefix).toBe('true');
  });

  it('treats an unset secret as not set', () => {
    expect(load('auth:\n  admin_key: ${ADMIN}\n', {}).auth.admin_key).toBeUndefined();
  });

  it('hints at quoting when an unquoted ${VAR} breaks a { } mapping', () => {
    expect(problemsOf('cache: { enabled: ${CACHE} }\n', {})).toEqual([
      'line 1, column 20: Unexpected flow-map-start at node end (UNEXPECTED_TOKEN) (and 2 more after it)',
      'hint: inside { } or [ ], put ${...} in quotes ("${VAR}"); the value is still typed by its key',
    ]);
  });

  it('reads VAR_FILE when VAR is unset, and VAR wins over VAR_FILE', () => {
    const secret = tmp.write('or-key', '  sk-or-from-file\n');
    const yaml = 'providers:\n  - { name: or, type: openai-compatible, preset: openrouter, api_key: "${OR_KEY}" }\n';
    const fromFile = load(yaml, { OR_KEY_FILE: secret }).providers[0];
    expect(fromFile?.type === 'openai-compatible' && fromFile.api_key).toBe('sk-or-from-file');
    const fromVar = load(yaml, { OR_KEY_FILE: secret, OR_KEY: 'sk-direct' }).providers[0];
    expect(fromVar?.type === 'openai-compatible' && fromVar.api_key).toBe('sk-direct');
  });

  it('keeps $${ as a literal ${', () => {
    const config = load('agents:\n  - { name: a, system_prompt: "Write $${name} and ${WHO}" }\n', { WHO: 'me' });
    expect(config.agents[0]?.system_prompt).toBe('Write ${name} and me');
  });

  it('refuses to start without a ${VAR:?message} variable', () => {
    expect(problemsOf('redis: { url: "${REDIS:?point it at the shared Redis}" }\n', {})).toEqual([
      'redis.url: ${REDIS} is required: point it at the shared Redis (line 1)',
    ]);
  });

  it('reports malformed expressions at their key', () => {
    expect(problemsOf('server: { host: "${HOST" }\nredis: { prefix: "${A B}" }\n', {})).toEqual([
      'server.host: "${HOST" is not closed with "}" (write $${ for a literal "${") (line 1)',
      'redis.prefix: "${A..." is not ${NAME}, ${NAME:-default} or ${NAME:?message} (line 2)',
    ]);
  });

  it('says which variable a bad value came from', () => {
    expect(problemsOf('server:\n  gateway_port: ${PORT}\n', { PORT: 'eighty' })).toEqual([
      'server.gateway_port: expected a number, got "eighty" (line 2, from ${PORT})',
    ]);
  });

  it('names an unreadable VAR_FILE without its content', () => {
    const problems = problemsOf('auth: { admin_key: "${ADMIN}" }\n', { ADMIN_FILE: `${tmp.dir}/nope` });
    expect(problems).toEqual([`auth.admin_key: ADMIN_FILE names ${tmp.dir}/nope, which cannot be read (ENOENT) (line 1)`]);
  });
});
