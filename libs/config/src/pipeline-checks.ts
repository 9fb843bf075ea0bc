import {
  ANSWER_PLACEHOLDER_HELP,
  parsePlaceholder,
  type PipelineConfig,
  pipelineConfigSchema,
  PIPELINE_REQUEST_SOURCE,
  type PipelineStageConfig,
  STAGE_PLACEHOLDER_HELP,
  type SwitchboardConfig,
  templatePlaceholders,
} from '@switchboard/contracts';
import { reportIssues } from './format-issues.js';
import { LoadContext } from './load-context.js';
import { didYouMean, formatPath } from './problem-text.js';
import { checkModelReference, checkUnique } from './reference-checks.js';
import { type ConfigPath } from './schema-walk.js';

interface PipelineNames {
  agents: ReadonlySet<string>;
  pipelines: ReadonlySet<string>;
}

/**
 * What the pipeline schema cannot say: names are unique and callable (no clash with an agent or `auto`),
 * a stage reads only earlier stages, every model id exists, and every `{{placeholder}}` means something where
 * it is used. Each problem names its key path, so `pipelines[0].stages[2].input_from[0]` points at the typo.
 */
export function checkPipelines(config: SwitchboardConfig, ctx: LoadContext): void {
  const names = pipelineNames(config);
  checkUnique(config.pipelines.map((p) => p.name), 'pipeline name', (i) => ['pipelines', i, 'name'], ctx);
  config.pipelines.forEach((pipeline, i) => checkPipeline(pipeline, ['pipelines', i], config, names, ctx));
}

function pipelineNames(config: SwitchboardConfig): PipelineNames {
  return { agents: new Set(config.agents.map((a) => a.name)), pipelines: new Set(config.pipelines.map((p) => p.name)) };
}

/** Every rule about one pipeline; `at` is its key path. Shared by the config loader and validatePipeline. */
function checkPipeline(pipeline: PipelineConfig, at: ConfigPath, config: SwitchboardConfig, names: PipelineNames, ctx: LoadContext): void {
  // Clients pick agents, pipelines and `auto` by the same `model` field, so one name may mean only one.
  if (names.agents.has(pipeline.name)) {
    ctx.report([...at, 'name'], `"${pipeline.name}" is already an agent's name; clients call both by name, so they must differ`);
  } else if (pipeline.name === 'auto') {
    ctx.report([...at, 'name'], '"auto" is the model id of the automatic route; choose another name');
  }
  checkUnique(pipeline.stages.map((s) => s.name), 'stage name', (j) => [...at, 'stages', j, 'name'], ctx);
  pipeline.stages.forEach((stage, j) => {
    const earlier = pipeline.stages.slice(0, j).map((s) => s.name);
    const later = pipeline.stages.slice(j + 1).map((s) => s.name);
    checkStage(stage, [...at, 'stages', j], { earlier, later }, config, names, ctx);
  });
}

/** One problem of a pipeline definition: `param` is its field path inside the pipeline (`stages[1].models[0]`). */
export interface PipelineProblem {
  param: string;
  message: string;
}

export type PipelineValidation = { ok: true; pipeline: PipelineConfig } | { ok: false; problems: PipelineProblem[] };

export interface ValidatePipelineOptions {
  /**
   * Saving needs a name no other pipeline has (configured or saved); a run-once pipeline's name is only the
   * answer's label, so it may repeat one.
   */
  requireFreeName: boolean;
}

/**
 * Checks a pipeline definition that did not come from the config file (the ad-hoc run, a saved pipeline) by
 * exactly the rules of `pipelines:` in config: the same zod schema and the same cross-field checks, run
 * against `config` (whose agents and pipelines are the ones currently callable). Problems are every one found,
 * schema first, each with the path of its field relative to the pipeline.
 */
export function validatePipeline(input: unknown, config: SwitchboardConfig, options: ValidatePipelineOptions): PipelineValidation {
  const ctx = new CollectingContext();
  const parsed = pipelineConfigSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    // Under a config path, so the loader's wording (and its "did you mean" for unknown keys) applies as is.
    reportIssues(parsed.error.issues.map((issue) => ({ ...issue, path: [...AT, ...issue.path] })), ctx);
    return { ok: false, problems: ctx.problemsUnder(AT) };
  }
  const pipeline = parsed.data;
  const others = config.pipelines.filter((p) => p.name !== pipeline.name);
  if (options.requireFreeName && others.length < config.pipelines.length) {
    ctx.report([...AT, 'name'], `"${pipeline.name}" is already a pipeline's name; choose another`);
  }
  // The candidate takes the place it would have in config; stages may not name it or any other pipeline.
  const withCandidate: SwitchboardConfig = { ...config, pipelines: [...others, pipeline] };
  const names = pipelineNames(withCandidate);
  checkPipeline(pipeline, AT, withCandidate, names, ctx);
  return ctx.found.length > 0 ? { ok: false, problems: ctx.problemsUnder(AT) } : { ok: true, pipeline };
}

/** Where validatePipeline's candidate sits while it is checked: its problems are reported under this path. */
const AT: ConfigPath = ['pipelines', 0];

/** A LoadContext with no file behind it that keeps each problem's path apart from its text. */
class CollectingContext extends LoadContext {
  readonly found: { path: ConfigPath; text: string }[] = [];

  constructor() {
    super({}, process.cwd(), undefined);
  }

  override report(path: ConfigPath, text: string): void {
    this.found.push({ path, text });
  }

  problemsUnder(prefix: ConfigPath): PipelineProblem[] {
    return this.found.map(({ path, text }) => {
      const inner = path.slice(prefix.length);
      return { param: inner.length === 0 ? '' : formatPath(inner), message: text };
    });
  }
}

interface StageOrder {
  earlier: readonly string[];
  later: readonly string[];
}

function checkStage(
  stage: PipelineStageConfig,
  at: ConfigPath,
  order: StageOrder,
  config: SwitchboardConfig,
  names: PipelineNames,
  ctx: LoadContext,
): void {
  if (stage.name === PIPELINE_REQUEST_SOURCE) {
    ctx.report([...at, 'name'], `"${PIPELINE_REQUEST_SOURCE}" is reserved: input_from uses it for the client's request`);
  }
  if (stage.input_from) {
    checkUnique(stage.input_from, 'input_from entry', (k) => [...at, 'input_from', k], ctx);
    stage.input_from.forEach((source, k) => {
      const problem = sourceProblem(source, stage.name, order);
      if (problem) ctx.report([...at, 'input_from', k], problem);
    });
  }

  const checkModel = (model: string, path: ConfigPath): void => {
    const problem = model !== 'auto' && names.pipelines.has(model)
      ? `"${model}" is a pipeline; a stage's model is "auto", "<provider>/<model>" or an agent name (pipelines do not nest)`
      : checkModelReference(undefined, model, config, names.agents);
    if (problem) ctx.report(path, problem);
  };
  if (stage.prompt !== undefined) checkTemplate(stage.prompt, [...at, 'prompt'], order.earlier, undefined, ctx);

  switch (stage.type) {
    case 'single':
      checkModel(stage.model, [...at, 'model']);
      break;
    case 'multi': {
      stage.models.forEach((model, k) => checkModel(model, [...at, 'models', k]));
      const aggregate = stage.aggregate;
      const answers = stage.models.length;
      switch (aggregate.method) {
        case 'synthesis':
          checkModel(aggregate.model, [...at, 'aggregate', 'model']);
          if (aggregate.prompt !== undefined) checkTemplate(aggregate.prompt, [...at, 'aggregate', 'prompt'], order.earlier, answers, ctx);
          break;
        case 'template':
          checkTemplate(aggregate.template, [...at, 'aggregate', 'template'], order.earlier, answers, ctx);
          break;
        case 'concat':
        case 'vote':
          break;
      }
      break;
    }
  }
}

function sourceProblem(source: string, stageName: string, order: StageOrder): string | undefined {
  if (source === PIPELINE_REQUEST_SOURCE || order.earlier.includes(source)) return undefined;
  const choices = [...order.earlier, PIPELINE_REQUEST_SOURCE];
  if (source === stageName) return `"${source}" is this stage itself; a stage reads earlier stages or "${PIPELINE_REQUEST_SOURCE}"`;
  if (order.later.includes(source)) return `"${source}" is a later stage; a stage reads earlier stages or "${PIPELINE_REQUEST_SOURCE}"`;
  return `"${source}" is not an earlier stage${didYouMean(source, choices)}; expected one of: ${choices.join(', ')}`;
}

/**
 * Every placeholder of a prompt or template must mean something there. `answers` is the number of answers
 * for a multi stage's synthesis prompt or template, undefined where no answers exist yet (a stage's prompt).
 */
function checkTemplate(text: string, path: ConfigPath, earlier: readonly string[], answers: number | undefined, ctx: LoadContext): void {
  const help = answers === undefined ? STAGE_PLACEHOLDER_HELP : `${STAGE_PLACEHOLDER_HELP}, ${ANSWER_PLACEHOLDER_HELP}`;
  for (const name of new Set(templatePlaceholders(text))) {
    const placeholder = parsePlaceholder(name);
    const shown = `{{${name}}}`;
    if (placeholder === undefined) {
      const known = ['input', 'request', ...earlier.map((s) => `stages.${s}`), ...(answers === undefined ? [] : ['answers', 'models'])];
      ctx.report(path, `unknown placeholder ${shown}${didYouMean(name, known)}; use ${help}`);
      continue;
    }
    switch (placeholder.kind) {
      case 'input':
      case 'request':
        break;
      case 'stage':
        if (!earlier.includes(placeholder.stage)) {
          ctx.report(
            path,
            `${shown}: "${placeholder.stage}" is not an earlier stage${didYouMean(placeholder.stage, earlier)}; earlier stages: ${earlier.join(', ') || 'none'}`,
          );
        }
        break;
      case 'answers':
      case 'answer':
      case 'models':
        if (answers === undefined) {
          ctx.report(path, `${shown} exists only in a multi stage's aggregate (synthesis prompt or template); use ${help}`);
        } else if (placeholder.kind === 'answer' && placeholder.n > answers) {
          ctx.report(path, `${shown}: the stage has only ${answers} models`);
        }
        break;
    }
  }
}
