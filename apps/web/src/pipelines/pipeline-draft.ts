/** One stage as the Manual page edits it; `toDefinition` turns the drafts into the API's pipeline shape. */
export interface StageDraft {
  name: string;
  type: 'single' | 'multi';
  model: string;
  models: string[];
  aggregate: 'concat' | 'vote' | 'synthesis' | 'template';
  aggregateModel: string;
  template: string;
  /** Comma-separated stage names and/or `request`; empty: the default (the previous stage, or the request). */
  inputFrom: string;
  outputMode: 'answer_only' | 'input_plus_answer';
}

export function newStage(index: number): StageDraft {
  return {
    name: `stage-${index + 1}`,
    type: 'single',
    model: 'auto',
    models: ['auto', 'auto'],
    aggregate: 'concat',
    aggregateModel: 'auto',
    template: '{{answers}}',
    inputFrom: '',
    outputMode: 'answer_only',
  };
}

/** The pipeline as config and the API know it; the API checks it (the page does not second-guess the rules). */
export function toDefinition(stages: StageDraft[], name?: string, description?: string): Record<string, unknown> {
  return {
    ...(name ? { name } : {}),
    ...(description ? { description } : {}),
    stages: stages.map((s) => {
      const inputFrom = s.inputFrom.split(',').map((x) => x.trim()).filter(Boolean);
      const common = { name: s.name, output_mode: s.outputMode, ...(inputFrom.length ? { input_from: inputFrom } : {}) };
      if (s.type === 'single') return { ...common, type: 'single', model: s.model };
      const aggregate =
        s.aggregate === 'synthesis' ? { method: 'synthesis', model: s.aggregateModel } : s.aggregate === 'template' ? { method: 'template', template: s.template } : { method: s.aggregate };
      return { ...common, type: 'multi', models: s.models, aggregate };
    }),
  };
}

/** The errors the API named for a field: its own path, or a path inside it (`stages[0].input_from[1]`). */
export function errorsAt(errors: readonly { path: string; message: string }[], field: string): string[] {
  return errors.filter((e) => e.path === field || e.path.startsWith(`${field}[`) || e.path.startsWith(`${field}.`)).map((e) => e.message);
}
