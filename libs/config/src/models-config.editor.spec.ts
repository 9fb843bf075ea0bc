import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { selectModelInConfig, type ModelChoice } from './models-config.editor.js';

const root = '/srv/sb';
const choice: ModelChoice = { name: 'qwen2.5-1.5b-instruct', file: 'models/qwen2.5-1.5b-instruct-q4_k_m.gguf', root };

interface Tree {
  providers: { name: string; type: string; models: { name: string; file: string; params?: Record<string, unknown> }[] }[];
}
const tree = (text: string): Tree => parse(text, { merge: true }) as Tree;

const blockConfig = `# top comment
providers:
  - name: local
    type: llama-cpp
    models:
      # the small one
      - name: small
        file: models/small.gguf
        params:
          n_ctx: 2048
          threads: 2        # aligned comment
      - name: qwen
        file: models/qwen2.5-1.5b-instruct-q4_k_m.gguf   # by hand
        params: { n_ctx: 8192 }
  - name: remote
    type: openai-compatible
    models: [m]
`;

describe('selectModelInConfig', () => {
  it('moves an entry that already points at the file to the front, as whole lines, with its comments', () => {
    const edit = selectModelInConfig(blockConfig, choice);
    expect(edit).toMatchObject({ provider: 'local', entryName: 'qwen', change: 'moved' });
    expect(edit.text).toBe(`# top comment
providers:
  - name: local
    type: llama-cpp
    models:
      - name: qwen
        file: models/qwen2.5-1.5b-instruct-q4_k_m.gguf   # by hand
        params: { n_ctx: 8192 }
      # the small one
      - name: small
        file: models/small.gguf
        params:
          n_ctx: 2048
          threads: 2        # aligned comment
  - name: remote
    type: openai-compatible
    models: [m]
`);
    expect(selectModelInConfig(edit.text, choice)).toMatchObject({ change: 'unchanged', text: edit.text });
  });

  it('adds a missing model first, with the params of the current default', () => {
    const edit = selectModelInConfig(blockConfig, { name: 'llama-3.2-1b-instruct', file: 'models/Llama-3.2-1B-Instruct-Q4_K_M.gguf', root });
    expect(edit).toMatchObject({ entryName: 'llama-3.2-1b-instruct', change: 'added' });
    const lines = edit.text.split('\n');
    const added = lines.slice(5, 11);
    expect(added).toEqual([
      '      - name: llama-3.2-1b-instruct',
      '        file: models/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      '        params:',
      '          n_ctx: 2048',
      '          threads: 2',
      '      # the small one',
    ]);
    // Everything else is byte for byte what it was.
    expect([...lines.slice(0, 5), ...lines.slice(10)].join('\n')).toBe(blockConfig);
  });

  it('an entry with the same name but another file is pointed at the manifest file', () => {
    const text = blockConfig.replace('name: qwen\n        file: models/qwen2.5-1.5b-instruct-q4_k_m.gguf', 'name: qwen2.5-1.5b-instruct\n        file: /elsewhere/q.gguf');
    const edit = selectModelInConfig(text, choice);
    expect(edit.change).toBe('moved');
    expect(tree(edit.text).providers[0]!.models.map((m) => [m.name, m.file])).toEqual([
      ['qwen2.5-1.5b-instruct', 'models/qwen2.5-1.5b-instruct-q4_k_m.gguf'],
      ['small', 'models/small.gguf'],
    ]);
  });

  it('an entry that would move above the anchor it uses gets a copy of the value instead', () => {
    const text = `x-defaults: &defaults { threads: 1 }
providers:
  - name: local
    type: llama-cpp
    models:
      - name: small
        file: models/small.gguf
        params: &p { n_ctx: 1024, threads: 3 }
      - name: qwen
        file: models/qwen2.5-1.5b-instruct-q4_k_m.gguf
        params: *p
      - name: other
        file: models/other.gguf
        params:
          <<: *defaults
          n_ctx: 512
`;
    const edit = selectModelInConfig(text, choice);
    expect(edit.change).toBe('moved');
    const models = tree(edit.text).providers[0]!.models;
    expect(models.map((m) => m.name)).toEqual(['qwen', 'small', 'other']);
    expect(models[0]!.params).toEqual({ n_ctx: 1024, threads: 3 });
    expect(models[2]!.params).toEqual({ threads: 1, n_ctx: 512 });
    expect(edit.text).toContain('<<: *defaults');
  });

  it('handles a flow list of models', () => {
    const text = 'providers:\n  - { name: local, type: llama-cpp, models: [{ name: small, file: models/small.gguf }] }\n';
    const edit = selectModelInConfig(text, choice);
    expect(edit.change).toBe('added');
    expect(tree(edit.text).providers[0]!.models.map((m) => m.name)).toEqual(['qwen2.5-1.5b-instruct', 'small']);
  });

  it('adds a llama-cpp provider when there is none, keeping the others and the comments', () => {
    const text = '# keep me\nproviders:\n  - name: local\n    type: openai-compatible   # a remote one called local\n    models: [m]\nlog_level: warn\n';
    const edit = selectModelInConfig(text, choice);
    expect(edit).toMatchObject({ provider: 'llama', change: 'added' });
    const t = tree(edit.text);
    expect(t.providers.map((p) => [p.name, p.type])).toEqual([['llama', 'llama-cpp'], ['local', 'openai-compatible']]);
    expect(t.providers[0]!.models).toEqual([{ name: choice.name, file: choice.file, params: { n_ctx: 4096, threads: 1, gpu_layers: 0, parallel: 1 } }]);
    expect(edit.text).toContain('# keep me');
    expect(edit.text).toContain('# a remote one called local');
  });

  it('writes a provider into an empty config', () => {
    const edit = selectModelInConfig('', choice);
    expect(tree(edit.text).providers[0]).toMatchObject({ name: 'local', type: 'llama-cpp', models: [{ name: choice.name, file: choice.file }] });
  });

  it('refuses a file that is not valid YAML', () => {
    expect(() => selectModelInConfig('providers: [\n', choice)).toThrow(/not valid YAML/);
  });
});
