import {
  type ChatMessage,
  type FinishReason,
  type MultiStageConfig,
  PIPELINE_REQUEST_SOURCE,
  type PipelineConfig,
  type PipelineModelAnswer,
  type PipelineStageConfig,
  type PipelineStageOutput,
  type Usage,
} from '@switchboard/contracts';
import { addUsage, emptyUsage, type LanguageModel, ProviderError } from '@switchboard/providers';
import { generateAnswer, streamAnswer, type StageCall } from './model-call.js';
import { PipelineError } from './pipeline-error.js';
import {
  BLANK_LINE,
  DEFAULT_SYNTHESIS_PROMPT,
  joinSources,
  renderTemplate,
  requestText,
  stageSources,
  type TemplateScope,
} from './stage-text.js';
import { vote } from './vote.js';

/** Progress of a run, stage by stage, for the client and the run's record. */
export interface PipelineStageEvent {
  stage: string;
  /** 0-based position of the stage and the number of stages ("stage 2 of 3"). */
  index: number;
  total: number;
  status: 'started' | 'done';
  /** Set when `status` is `done`. */
  output?: PipelineStageOutput;
}

/** What runPipeline needs from the worker. */
export interface PipelineDeps {
  /**
   * The model behind a stage's model id, exactly as configured: `auto`, `<provider>/<model>` or an agent's
   * name (the worker's router decides what an agent or `auto` means). A throw fails the stage, naming it.
   */
  model(id: string): LanguageModel | Promise<LanguageModel>;
  /** Aborts every call in flight and stops the run before its next stage. */
  signal: AbortSignal;
  onStage?(event: PipelineStageEvent): void;
  /**
   * The final answer as it is produced. A last stage that is `single` (or a `multi` aggregated by
   * `synthesis`) streams it delta by delta; other aggregations arrive as one delta once the stage is done.
   * For `input_plus_answer` the input and a blank line come first. The deltas joined are always `text`.
   */
  onText?(delta: string): void;
}

export interface PipelineResult {
  /** The last stage's output: the answer. */
  text: string;
  /** Every call of every stage, synthesis included. */
  usage: Usage;
  /** The last answering call's (`stop` for a concatenation, vote or template). */
  finishReason: FinishReason;
  stages: PipelineStageOutput[];
}

/** Everything a stage reads while it runs. */
interface StageContext {
  pipeline: PipelineConfig;
  stage: PipelineStageConfig;
  /** The request's messages. */
  messages: readonly ChatMessage[];
  /** The names the stage reads (`input_from` or its default). */
  sources: readonly string[];
  scope: TemplateScope;
  deps: PipelineDeps;
  /** Where the final answer goes, for the last stage only. */
  onText: ((delta: string) => void) | undefined;
}

interface StageResult {
  answers: PipelineModelAnswer[];
  answer: string;
  finishReason: FinishReason;
  synthesis?: PipelineModelAnswer;
  votes?: PipelineStageOutput['votes'];
}

/**
 * Runs a pipeline's stages in order over the request's messages. Each stage reads its sources, calls its
 * model (or its models in parallel), and leaves one output text for later stages; the last one's output is
 * the answer. A failure anywhere ends the run with a PipelineError naming the stage (and the model).
 */
export async function runPipeline(pipeline: PipelineConfig, messages: readonly ChatMessage[], deps: PipelineDeps): Promise<PipelineResult> {
  const outputs = new Map<string, string>();
  const stages: PipelineStageOutput[] = [];
  const request = requestText(messages);
  let usage = emptyUsage();
  let finishReason: FinishReason = 'stop';
  let previous: string | undefined;

  for (const [index, stage] of pipeline.stages.entries()) {
    if (deps.signal.aborted) throw withProgress(cancelled(pipeline, stage.name, deps.signal.reason), stages, usage);
    const isLast = index === pipeline.stages.length - 1;
    deps.onStage?.({ stage: stage.name, index, total: pipeline.stages.length, status: 'started' });
    const started = performance.now();
    try {
      const sources = stageSources(stage.input_from, previous);
      const input = stageInput(sources, request, outputs);
      const scope: TemplateScope = { input, request, stages: outputs };
      const result = await runStage({ pipeline, stage, messages, sources, scope, deps, onText: isLast ? deps.onText : undefined });
      const stageUsage = [...result.answers, ...(result.synthesis ? [result.synthesis] : [])].reduce((sum, a) => addUsage(sum, a.usage), emptyUsage());
      const output: PipelineStageOutput = {
        stage: stage.name,
        type: stage.type,
        input,
        answers: result.answers,
        ...(result.synthesis ? { synthesis: result.synthesis } : {}),
        ...(result.votes ? { votes: result.votes } : {}),
        output: withInput(stage, input, result.answer),
        usage: stageUsage,
        durationMs: Math.round(performance.now() - started),
      };
      stages.push(output);
      outputs.set(stage.name, output.output);
      usage = addUsage(usage, stageUsage);
      finishReason = result.finishReason;
      previous = stage.name;
      deps.onStage?.({ stage: stage.name, index, total: pipeline.stages.length, status: 'done', output });
    } catch (error) {
      throw withProgress(stageError(pipeline, stage.name, undefined, error, deps.signal), stages, usage);
    }
  }
  const text = stages.at(-1)?.output ?? '';
  return { text, usage, finishReason, stages };
}

function stageInput(names: readonly string[], request: string, outputs: ReadonlyMap<string, string>): string {
  const sources = names.map((name) => {
    const text = name === PIPELINE_REQUEST_SOURCE ? request : outputs.get(name);
    if (text === undefined) throw new Error(`input_from "${name}" is not an earlier stage`);
    return { name, text };
  });
  return joinSources(sources);
}

function withInput(stage: PipelineStageConfig, input: string, answer: string): string {
  return stage.output_mode === 'input_plus_answer' ? `${input}${BLANK_LINE}${answer}` : answer;
}

/**
 * The messages every model of the stage gets. A stage that reads only the request and has no prompt of its
 * own gets the request's messages as they are, so a chat's earlier turns (and the client's system message)
 * still count; any other stage gets its prompt, or its input, as one user message.
 */
function stageMessages(ctx: StageContext): ChatMessage[] {
  const { stage, scope, sources } = ctx;
  const system: ChatMessage[] = stage.system_prompt === '' ? [] : [{ role: 'system', content: stage.system_prompt }];
  if (stage.prompt === undefined && sources.length === 1 && sources[0] === PIPELINE_REQUEST_SOURCE) {
    return [...system, ...ctx.messages];
  }
  const text = stage.prompt === undefined ? scope.input : renderTemplate(stage.prompt, scope);
  return [...system, { role: 'user', content: text }];
}

async function runStage(ctx: StageContext): Promise<StageResult> {
  const { stage } = ctx;
  const messages = stageMessages(ctx);
  const call = (model: string): StageCall => ({
    model,
    messages,
    ...(stage.temperature === undefined ? {} : { temperature: stage.temperature }),
    ...(stage.max_tokens === undefined ? {} : { maxTokens: stage.max_tokens }),
  });
  switch (stage.type) {
    case 'single': {
      const answer = await callModel(ctx, call(stage.model), ctx.deps.signal, ctx.onText);
      return { answers: [answer], answer: answer.text, finishReason: answer.finishReason };
    }
    case 'multi':
      return runMultiStage(ctx, stage, call);
  }
}

async function runMultiStage(ctx: StageContext, stage: MultiStageConfig, call: (model: string) => StageCall): Promise<StageResult> {
  // One failed model ends the stage: stop its siblings instead of paying for answers nobody will use.
  const siblings = new AbortController();
  const signal = AbortSignal.any([ctx.deps.signal, siblings.signal]);
  const answers = await Promise.all(
    stage.models.map((model) =>
      callModel(ctx, call(model), signal, undefined).catch((error: unknown) => {
        siblings.abort();
        throw error;
      }),
    ),
  );
  const aggregate = stage.aggregate;
  const emitted = (answer: string): string => {
    const whole = answerPrefix(ctx) + answer;
    if (whole !== '') ctx.onText?.(whole);
    return answer;
  };
  switch (aggregate.method) {
    case 'concat':
      return { answers, answer: emitted(answers.map((a) => a.text.trim()).join(aggregate.separator ?? BLANK_LINE)), finishReason: 'stop' };
    case 'vote': {
      const { winner, tally } = vote(answers);
      return { answers, answer: emitted(winner), finishReason: 'stop', votes: tally };
    }
    case 'template':
      return { answers, answer: emitted(renderTemplate(aggregate.template, { ...ctx.scope, answers })), finishReason: 'stop' };
    case 'synthesis': {
      const prompt = renderTemplate(aggregate.prompt ?? DEFAULT_SYNTHESIS_PROMPT, { ...ctx.scope, answers });
      const synthesis = await callModel(
        ctx,
        {
          model: aggregate.model,
          messages: [...(aggregate.system_prompt === '' ? [] : [{ role: 'system' as const, content: aggregate.system_prompt }]), { role: 'user', content: prompt }],
          ...(aggregate.temperature === undefined ? {} : { temperature: aggregate.temperature }),
          ...(aggregate.max_tokens === undefined ? {} : { maxTokens: aggregate.max_tokens }),
        },
        ctx.deps.signal,
        ctx.onText,
      );
      return { answers, answer: synthesis.text, finishReason: synthesis.finishReason, synthesis };
    }
  }
}

/** What the client sees of the last stage before its answer: its input, for input_plus_answer. */
function answerPrefix(ctx: StageContext): string {
  return ctx.stage.output_mode === 'input_plus_answer' ? `${ctx.scope.input}${BLANK_LINE}` : '';
}

/** One model call; streamed when `onText` is given (the final answer), with the input first for input_plus_answer. */
async function callModel(
  ctx: StageContext,
  call: StageCall,
  signal: AbortSignal,
  onText: ((delta: string) => void) | undefined,
): Promise<PipelineModelAnswer> {
  try {
    const model = await ctx.deps.model(call.model);
    if (!onText) return await generateAnswer(model, call, signal);
    // The prefix goes with the first delta (or at the end of an empty answer), so the deltas always add up to the output.
    let prefix = answerPrefix(ctx);
    const send = (delta: string): void => {
      const text = prefix + delta;
      prefix = '';
      if (text !== '') onText(text);
    };
    const answer = await streamAnswer(model, call, signal, send);
    send('');
    return answer;
  } catch (error) {
    throw stageError(ctx.pipeline, ctx.stage.name, call.model, error, ctx.deps.signal);
  }
}

/** The error with what the run achieved before it, so the worker can still record finished stages and usage. */
function withProgress(error: PipelineError, stages: PipelineStageOutput[], usage: Usage): PipelineError {
  const progressed = new PipelineError(error.message, { ...error.details, stages: [...stages], usage });
  progressed.stack = error.stack;
  return progressed;
}

function cancelled(pipeline: PipelineConfig, stage: string, cause: unknown): PipelineError {
  return new PipelineError(`pipeline "${pipeline.name}" was cancelled during stage "${stage}"`, {
    pipeline: pipeline.name,
    stage,
    isAbort: true,
    isRetryable: false,
    cause,
  });
}

/** Wraps any failure of a stage once, naming the pipeline, the stage and the model. */
function stageError(pipeline: PipelineConfig, stage: string, model: string | undefined, error: unknown, signal: AbortSignal): PipelineError {
  if (error instanceof PipelineError) return error;
  if (signal.aborted) return cancelled(pipeline, stage, error);
  const where = `pipeline "${pipeline.name}", stage "${stage}"${model === undefined ? '' : `, model "${model}"`}`;
  const message = error instanceof Error ? error.message : String(error);
  return new PipelineError(`${where}: ${message}`, {
    pipeline: pipeline.name,
    stage,
    ...(model === undefined ? {} : { model }),
    isAbort: false,
    isRetryable: error instanceof ProviderError && error.details.isRetryable,
    cause: error,
  });
}
