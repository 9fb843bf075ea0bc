import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

let count = 0;
/** Loads `yaml` from a fresh temp file and returns the ConfigError it must raise. */
function errorFor(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigError & { file: string } {
  const file = tmp.write(`bad-${++count}.yaml`, yaml);
  try {
    loadConfig({ path: file, env, cwd: tmp.dir });
  } catch (error) {
    if (error instanceof ConfigError) return Object.assign(error, { file });
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const twoProviders = `
providers:
  - name: local
    type: llama-cpp
    models:
      - { name: tiny, file: models/tiny.gguf }
  - name: openrouter
    type: openai-compatible
    preset: openrouter
`;

describe('config errors', () => {
  it('reports a YAML syntax error with line and column, naming the file', () => {
    const error = errorFor('server:\n  gateway_port: 8080\n  api_port: [8000\nqueue: {}\n');
    expect(error.message).toContain(`Invalid YAML in ${error.file}:`);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^line 4, column \d+: Flow sequence .* \(BAD_INDENT\)/);
  });

  it('reports a duplicate YAML key by position', () => {
    expect(errorFor('log_level: info\nlog_level: debug\n').problems).toEqual([
      'line 2, column 1: Map keys must be unique (DUPLICATE_KEY)',
    ]);
  });

  it('names the key path of a wrong type, with what was expected and found', () => {
    const error = errorFor('queue:\n  lock_ms: soon\n');
    expect(error.message).toBe(`Invalid config ${error.file}:\n  - queue.lock_ms: expected a number, got "soon" (line 2)`);
  });

  it('names an unknown key as such, with a suggestion for a near miss', () => {
    const error = errorFor('server:\n  heartbaet_ms: 2000\nbogus_section: 1\n');
    expect(error.problems).toEqual([
      'server.heartbaet_ms: unknown key (did you mean "heartbeat_ms"?) (line 2)',
      'bogus_section: unknown key (line 3)',
    ]);
  });

  it('suggests keys of the right provider type', () => {
    const error = errorFor(`${twoProviders}    api_kee: x\n`);
    expect(error.problems).toEqual(['providers[1].api_kee: unknown key (did you mean "api_key"?) (line 10)']);
  });

  it('reports a bad provider type with the allowed values', () => {
    const error = errorFor('providers:\n  - name: a\n    type: llama-cpp\n  - name: b\n    type: foo\n');
    expect(error.problems).toEqual(['providers[1].type: expected "llama-cpp" or "openai-compatible", got "foo" (line 5)']);
  });

  it('reports a bad enum value with a suggestion', () => {
    const error = errorFor(`${twoProviders.replace('preset: openrouter', 'preset: openroute')}log_level: loud\n`);
    expect(error.problems).toEqual([
      'providers[1].preset: expected one of "openai", "openrouter", "huggingface", "ollama", "dmr", "vllm", got "openroute" (did you mean "openrouter"?) (line 9)',
      'log_level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (line 10)',
    ]);
  });

  it('reports missing required values at their path', () => {
    const error = errorFor('providers:\n  - type: llama-cpp\n    models:\n      - name: m\n  - name: x\nagents:\n  - model: auto\n');
    expect(error.problems).toEqual([
      'providers[0].name: required, expected a string, got nothing (line 2)',
      'providers[0].models[0].file: required, expected a string, got nothing (line 4)',
      'providers[1].type: required, expected "llama-cpp" or "openai-compatible", got nothing (line 5)',
      'agents[0].name: required, expected a string, got nothing (line 7)',
    ]);
  });

  it('explains range, format and union failures', () => {
    const error = errorFor(
      'server: { gateway_port: 70000, heartbeat_ms: 0 }\n' +
        'providers:\n  - name: Local Models\n    type: llama-cpp\n    models:\n      - { name: m, file: m.gguf, params: { gpu_layers: lots } }\n',
    );
    expect(error.problems).toEqual([
      'server.gateway_port: expected a number <= 65535, got 70000 (line 1)',
      'server.heartbeat_ms: expected a number > 0, got 0 (line 1)',
      'providers[0].name: expected lowercase letters, digits, "-" or "_" (it prefixes model ids), got "Local Models" (line 3)',
      'providers[0].models[0].params.gpu_layers: expected a number or "auto" or "max", got "lots" (line 6)',
    ]);
  });

  it('rejects duplicate provider and agent names', () => {
    const error = errorFor(`${twoProviders}  - name: local\n    type: llama-cpp\nagents:\n  - name: a\n  - name: a\n`);
    expect(error.problems).toEqual([
      'providers[2].name: duplicate provider name "local" (already used at index 0) (line 10)',
      'agents[1].name: duplicate agent name "a" (already used at index 0) (line 14)',
    ]);
  });

  it('rejects an auto_pick priority naming no configured provider', () => {
    const error = errorFor(`${twoProviders}auto_pick:\n  priority: [local, openroutr]\n`);
    expect(error.problems).toEqual([
      'auto_pick.priority[1]: "openroutr" is not a configured provider (did you mean "openrouter"?); configured: local, openrouter (line 11)',
    ]);
  });

  it("checks every agent's model reference", () => {
    const agents = [
      '  - { name: ok-auto, model: auto }',
      '  - { name: ok-remote, model: openrouter/meta-llama/llama-3.1-8b-instruct }',
      '  - { name: ok-local, model: local/tiny }',
      '  - { name: ok-agent, model: ok-local }',
      '  - { name: bad-provider, model: nowhere/x }',
      '  - { name: bad-local, model: local/huge }',
      '  - { name: bad-name, model: ok-locl }',
      '  - { name: self, model: self }',
      '  - { name: loop-a, model: loop-b }',
      '  - { name: loop-b, model: loop-a }',
    ];
    const error = errorFor(`${twoProviders}agents:\n${agents.join('\n')}\n`);
    expect(error.problems).toEqual([
      'agents[4].model: "nowhere/x" names provider "nowhere", which is not configured (line 15)',
      'agents[5].model: provider "local" has no model "huge"; it has: tiny (line 16)',
      'agents[6].model: expected "auto", "<provider>/<model>" or an agent name, got "ok-locl" (did you mean "ok-local"?) (line 17)',
      'agents[7].model: "self" is the agent itself (line 18)',
      'agents[8].model: routes loop-a -> loop-b -> loop-a, a loop that never reaches a model (line 19)',
      'agents[9].model: routes loop-b -> loop-a -> loop-b, a loop that never reaches a model (line 20)',
    ]);
  });

  it('requires a preset or base_url on an openai-compatible provider', () => {
    const error = errorFor('providers:\n  - { name: remote, type: openai-compatible }\n');
    expect(error.problems).toEqual([
      'providers[0]: an openai-compatible provider needs a preset or a base_url (where to send requests) (line 2)',
    ]);
  });

  it('lists every problem of a file at once', () => {
    const error = errorFor('queue: { lock_ms: -1, attempts: many }\nlog_level: 3\n');
    expect(error.problems).toHaveLength(3);
  });

  it('refuses a file that is not a mapping', () => {
    expect(errorFor('- a\n- b\n').problems).toEqual(['(top level): expected a mapping of settings, got a list']);
  });
});

describe('errors never print secrets', () => {
  it('hides secret values of the wrong type', () => {
    const error = errorFor('auth:\n  admin_key: 123456789\n');
    expect(error.problems).toEqual(['auth.admin_key: expected a string, got a number (value hidden) (line 2)']);
  });

  it('shows only the scheme of a bad database URL', () => {
    const error = errorFor('log_level: info\n', { DATABASE_URL: 'http://admin:hunter2@db/x' });
    expect(error.problems).toEqual([
      'database.url: expected a postgresql://, mysql:// or mariadb:// URL, got http (from env DATABASE_URL)',
    ]);
    expect(error.message).not.toContain('hunter2');
  });

  it('reports a YAML syntax error on a secret line without quoting the line', () => {
    const error = errorFor('auth:\n  admin_key: sk-very-secret: oops\n');
    expect(error.problems[0]).toMatch(/^line 2, column \d+: /);
    expect(error.message).not.toContain('sk-very-secret');
  });
});
