import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const file = tmp.write(
  'switchboard.yaml',
  `
providers:
  - { name: ollama, type: openai-compatible, preset: ollama }
  - { name: dmr, type: openai-compatible, preset: dmr }
  - { name: pinned, type: openai-compatible, preset: ollama, base_url: "http://gpu-box:11434/v1" }
  - { name: vllm, type: openai-compatible, preset: vllm }
`,
);
const load = (env: NodeJS.ProcessEnv) => loadConfig({ path: file, env, cwd: tmp.dir });
const baseUrls = (env: NodeJS.ProcessEnv) => Object.fromEntries(load(env).providers.map((p) => [p.name, p.type === 'openai-compatible' ? p.base_url : null]));

describe('OLLAMA_BASE_URL / DMR_BASE_URL', () => {
  it('leave the presets alone when unset or empty', () => {
    expect(baseUrls({})).toEqual({ ollama: undefined, dmr: undefined, pinned: 'http://gpu-box:11434/v1', vllm: undefined });
    expect(baseUrls({ OLLAMA_BASE_URL: ' ' }).ollama).toBeUndefined();
  });

  it('point providers of the ollama and dmr presets without a base_url elsewhere (a container reaching its host)', () => {
    expect(
      baseUrls({ OLLAMA_BASE_URL: 'http://host.docker.internal:11434/v1/', DMR_BASE_URL: 'http://host.docker.internal:12434/engines/v1' }),
    ).toEqual({
      ollama: 'http://host.docker.internal:11434/v1',
      dmr: 'http://host.docker.internal:12434/engines/v1',
      pinned: 'http://gpu-box:11434/v1',
      vllm: undefined,
    });
  });

  it('name the variable when it is not a URL', () => {
    const error = (() => {
      try {
        load({ OLLAMA_BASE_URL: 'host.docker.internal:11434' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['OLLAMA_BASE_URL: expected a URL such as http://host.docker.internal:11434/v1, got "host.docker.internal:11434"']);
  });
});
