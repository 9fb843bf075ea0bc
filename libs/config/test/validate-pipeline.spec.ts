import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, validatePipeline } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const base = `
providers:
  - name: local
    type: llama-cpp
    models:
      - { name: tiny, file: models/tiny.gguf }
  - name: remote
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    models: [a, b]
agents:
  - { name: helper, model: local/tiny }
pipelines:
  - name: existing
    stages: [{ name: only, type: single, model: remote/a }]
`;
const config = loadConfig({ path: tmp.write('base.yaml', base), env: {}, cwd: tmp.dir });

/** What the config loader says about the same pipeline, as `path: text` lines under `pipelines[1]`. */
function loaderProblems(pipeline: unknown): string[] {
  const yaml = `${base}  - ${JSON.stringify(pipeline)}\n`;
  try {
    loadConfig({ path: tmp.write('candidate.yaml', yaml), env: {}, cwd: tmp.dir });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.replace(/ \(line \d+\)$/, ''));
    throw error;
  }
  return [];
}

describe('validatePipeline', () => {
  it('accepts a good pipeline with the schema defaults filled in', () => {
    const result = validatePipeline(
      { name: 'fresh', stages: [{ name: 'a', type: 'single', model: 'helper' }, { name: 'b', type: 'multi', models: ['remote/a', 'remote/b'], aggregate: { method: 'vote' }, input_from: ['a', 'request'] }] },
      config,
      { requireFreeName: true },
    );
    expect(result).toMatchObject({ ok: true, pipeline: { name: 'fresh', description: '', stages: [{ output_mode: 'answer_only' }, { input_from: ['a', 'request'] }] } });
  });

  it.each([
    ['a later stage in input_from', { name: 'p', stages: [{ name: 'a', type: 'single', input_from: ['b'] }, { name: 'b', type: 'single' }] }, 'stages[0].input_from[0]'],
    ['an unknown model', { name: 'p', stages: [{ name: 'a', type: 'single' }, { name: 'b', type: 'multi', models: ['remote/a', 'local/nope'], aggregate: { method: 'concat' } }] }, 'stages[1].models[1]'],
    ['a pipeline as a stage model', { name: 'p', stages: [{ name: 'a', type: 'single', model: 'existing' }] }, 'stages[0].model'],
    ['a bad aggregation method', { name: 'p', stages: [{ name: 'a', type: 'multi', models: ['remote/a', 'remote/b'], aggregate: { method: 'average' } }] }, 'stages[0].aggregate.method'],
    ['an unknown placeholder', { name: 'p', stages: [{ name: 'a', type: 'single', prompt: 'Hi {{stage.x}}' }] }, 'stages[0].prompt'],
    ['an unknown key', { name: 'p', stages: [{ name: 'a', type: 'single', modle: 'auto' }] }, 'stages[0].modle'],
    ["an agent's name", { name: 'helper', stages: [{ name: 'a', type: 'single' }] }, 'name'],
  ])('reports %s at its field, in the words of the config loader', (_what, pipeline, param) => {
    const result = validatePipeline(pipeline, config, { requireFreeName: true });
    if (result.ok) throw new Error('expected problems');
    expect(result.problems[0]?.param).toBe(param);
    // One rule: the loader reports the same problems for the same pipeline in the file, under pipelines[1].
    expect(loaderProblems(pipeline)).toEqual(result.problems.map((p) => `pipelines[1].${p.param}: ${p.message}`));
  });

  it("lets a run-once pipeline reuse a pipeline's name, but not one that is saved", () => {
    const pipeline = { name: 'existing', stages: [{ name: 'a', type: 'single' }] };
    expect(validatePipeline(pipeline, config, { requireFreeName: false }).ok).toBe(true);
    const saved = validatePipeline(pipeline, config, { requireFreeName: true });
    expect(saved).toEqual({ ok: false, problems: [{ param: 'name', message: `"existing" is already a pipeline's name; choose another` }] });
  });

  it('reports a body that is not a pipeline at all', () => {
    const result = validatePipeline('nope', config, { requireFreeName: false });
    expect(result).toMatchObject({ ok: false, problems: [{ param: '' }] });
  });
});
