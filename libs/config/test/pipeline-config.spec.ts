import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ModelCatalog } from '@switchboard/contracts';
import { ConfigError, loadConfig } from '../src/index.js';
import { tempDir } from './temp-files.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

let count = 0;
const load = (yaml: string): ReturnType<typeof loadConfig> => loadConfig({ path: tmp.write(`p-${++count}.yaml`, yaml), env: {}, cwd: tmp.dir });

/** The problems a config must be rejected with. */
function problemsOf(yaml: string): readonly string[] {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const base = `
providers:
  - name: local
    type: llama-cpp
    models:
      - { name: tiny, file: models/tiny.gguf }
  - name: remote
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    models: [a, b, c]
agents:
  - { name: helper, model: local/tiny }
pipelines:
`;

describe('pipelines in config', () => {
  it('loads a valid pipeline with its defaults, and lists it on /v1/models', () => {
    const config = load(`${base}
  - name: research
    stages:
      - { name: draft, type: single }
      - name: review
        type: multi
        models: [remote/a, remote/b, helper]
        prompt: "Check: {{input}}"
        aggregate: { method: vote }
      - name: final
        type: single
        model: remote/c
        input_from: [request, draft, review]
        prompt: "{{request}} / {{stages.draft}} / {{input}}"
        output_mode: input_plus_answer
`);
    const [pipeline] = config.pipelines;
    expect(pipeline?.description).toBe('');
    expect(pipeline?.stages[0]).toEqual({ name: 'draft', type: 'single', model: 'auto', system_prompt: '', output_mode: 'answer_only' });
    expect(pipeline?.stages[1]).toMatchObject({ type: 'multi', aggregate: { method: 'vote' } });

    const catalog = new ModelCatalog(config, 1);
    expect(catalog.resolve('research')).toEqual({ kind: 'pipeline', id: 'research', pipeline: 'research' });
    const listed = (JSON.parse(catalog.listJson) as { data: { id: string }[] }).data;
    expect(listed).toContainEqual({ id: 'research', object: 'model', created: 1, owned_by: 'switchboard', name: 'research' });
  });

  it('names the path of schema errors inside stages and aggregates', () => {
    expect(
      problemsOf(`${base}
  - name: p
    stages:
      - { name: one, type: singel }
      - { name: two, type: multi, models: [remote/a], aggregate: { method: majority } }
      - { name: three, type: multi, models: [remote/a, remote/b], aggregate: { method: concat, seperator: "," } }
      - { name: four, type: multi, models: [remote/a, remote/b], aggregate: { method: synthesis } }
      - { name: Five, type: single, output_mode: both }
  - name: empty
    stages: []
`),
    ).toEqual([
      'pipelines[0].stages[0].type: expected "single" or "multi", got "singel" (did you mean "single"?) (line 17)',
      'pipelines[0].stages[1].models: expected at least 2 item(s), got a list (line 18)',
      'pipelines[0].stages[1].aggregate.method: expected one of "concat", "vote", "synthesis", "template", got "majority" (line 18)',
      'pipelines[0].stages[2].aggregate.seperator: unknown key (did you mean "separator"?) (line 19)',
      'pipelines[0].stages[3].aggregate.model: required, expected a string, got nothing (line 20)',
      'pipelines[0].stages[4].name: expected lowercase letters, digits, "-" or "_", got "Five" (line 21)',
      'pipelines[0].stages[4].output_mode: expected "answer_only" or "input_plus_answer", got "both" (line 21)',
      'pipelines[1].stages: expected at least 1 item(s), got a list (line 23)',
    ]);
  });

  it('rejects names that clash with each other, an agent, auto or the request source', () => {
    expect(
      problemsOf(`${base}
  - name: helper
    stages: [{ name: a, type: single }]
  - name: auto
    stages: [{ name: a, type: single }]
  - name: auto
    stages:
      - { name: request, type: single }
      - { name: x, type: single }
      - { name: x, type: single }
`),
    ).toEqual([
      'pipelines[2].name: duplicate pipeline name "auto" (already used at index 1) (line 19)',
      'pipelines[0].name: "helper" is already an agent\'s name; clients call both by name, so they must differ (line 15)',
      'pipelines[1].name: "auto" is the model id of the automatic route; choose another name (line 17)',
      'pipelines[2].name: "auto" is the model id of the automatic route; choose another name (line 19)',
      'pipelines[2].stages[2].name: duplicate stage name "x" (already used at index 1) (line 23)',
      'pipelines[2].stages[0].name: "request" is reserved: input_from uses it for the client\'s request (line 21)',
    ]);
  });

  it('lets input_from name only earlier stages, with a suggestion', () => {
    expect(
      problemsOf(`${base}
  - name: p
    stages:
      - { name: draft, type: single }
      - { name: critique, type: single, input_from: [critique] }
      - { name: edit, type: single, input_from: [draft, final] }
      - { name: final, type: single, input_from: [drat, request, draft, draft] }
`),
    ).toEqual([
      'pipelines[0].stages[1].input_from[0]: "critique" is this stage itself; a stage reads earlier stages or "request" (line 18)',
      'pipelines[0].stages[2].input_from[1]: "final" is a later stage; a stage reads earlier stages or "request" (line 19)',
      'pipelines[0].stages[3].input_from[3]: duplicate input_from entry "draft" (already used at index 2) (line 20)',
      'pipelines[0].stages[3].input_from[0]: "drat" is not an earlier stage (did you mean "draft"?); expected one of: draft, critique, edit, request (line 20)',
    ]);
  });

  it("checks every model a stage names, the synthesis model included", () => {
    expect(
      problemsOf(`${base}
  - name: p
    stages:
      - { name: a, type: single, model: local/huge }
      - { name: b, type: multi, models: [remote/a, nowhere/x, helpr], aggregate: { method: synthesis, model: q } }
  - name: q
    stages: [{ name: a, type: single, model: helper }]
`),
    ).toEqual([
      'pipelines[0].stages[0].model: provider "local" has no model "huge"; it has: tiny (line 17)',
      'pipelines[0].stages[1].models[1]: "nowhere/x" names provider "nowhere", which is not configured (line 18)',
      'pipelines[0].stages[1].models[2]: expected "auto", "<provider>/<model>" or an agent name, got "helpr" (did you mean "helper"?) (line 18)',
      'pipelines[0].stages[1].aggregate.model: "q" is a pipeline; a stage\'s model is "auto", "<provider>/<model>" or an agent name (pipelines do not nest) (line 18)',
    ]);
  });

  it('checks the placeholders of prompts and templates where they are used', () => {
    expect(
      problemsOf(`${base}
  - name: p
    stages:
      - { name: draft, type: single, prompt: "{{ input }} {{inpt}} {{answers}}" }
      - name: vote
        type: multi
        models: [remote/a, remote/b]
        prompt: "{{stages.draft}} {{stages.vote}}"
        aggregate: { method: template, template: "{{answer.1}} {{answer.3}} {{models}} {{stages.draf}}" }
`),
    ).toEqual([
      'pipelines[0].stages[0].prompt: unknown placeholder {{inpt}} (did you mean "input"?); use {{input}}, {{request}}, {{stages.<earlier stage>}} (line 17)',
      "pipelines[0].stages[0].prompt: {{answers}} exists only in a multi stage's aggregate (synthesis prompt or template); use {{input}}, {{request}}, {{stages.<earlier stage>}} (line 17)",
      'pipelines[0].stages[1].prompt: {{stages.vote}}: "vote" is not an earlier stage; earlier stages: draft (line 21)',
      'pipelines[0].stages[1].aggregate.template: {{answer.3}}: the stage has only 2 models (line 22)',
      'pipelines[0].stages[1].aggregate.template: {{stages.draf}}: "draf" is not an earlier stage (did you mean "draft"?); earlier stages: draft (line 22)',
    ]);
  });

  it('documents an example in docs/CONFIGURATION.md that loads as it is', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/CONFIGURATION.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### `pipelines[]`'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toContain('pipelines:');
    const config = load(example ?? '');
    expect(config.pipelines.length).toBeGreaterThan(0);
    expect(config.pipelines.flatMap((p) => p.stages.map((s) => s.type))).toEqual(expect.arrayContaining(['single', 'multi']));
  });
});
