import { z } from 'zod';

/**
 * Pipelines in config/switchboard.yaml: a named, multi-stage flow that clients call like a model.
 *
 * ```yaml
 * pipelines:
 *   - name: careful-answer
 *     stages:
 *       - { name: draft, type: single, model: local/qwen2.5-0.5b }
 *       - name: check
 *         type: multi
 *         models: [openrouter/a, openrouter/b, openrouter/c]
 *         prompt: "Is this answer correct? Reply yes or no.\n\n{{input}}"
 *         aggregate: { method: vote }
 *       - name: final
 *         type: single
 *         input_from: [draft, check]
 * ```
 *
 * Each stage turns one input text into one output text. Where a stage's input comes from (`input_from`):
 * unset, the first stage reads the request and every later stage the stage before it; set, a list of earlier
 * stage names and `request`. With several sources the input is their texts joined under `## <name>` headings.
 *
 * Prompts are templates with `{{placeholder}}`s (see pipeline-template.ts): `{{input}}`, `{{request}}` and
 * `{{stages.<earlier stage>}}` everywhere; a multi stage's synthesis prompt and template add `{{answers}}`,
 * `{{answer.<n>}}` (1-based) and `{{models}}`. Cross-field rules (unique names, earlier stages only, model ids
 * that exist, known placeholders) are checked when the config loads, each naming its key path.
 *
 * Objects are strict, like the rest of the config: a typo is an error, not a silently ignored key.
 */

const positiveInt = z.number().int().positive();

/** The name `input_from` uses for the client's request; no stage may take it. */
export const PIPELINE_REQUEST_SOURCE = 'request';

/** Clients use it as the model id, so it follows the agent name rules (and may not clash with an agent). */
const pipelineName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "-" or "_"');
/** No dots: a stage is referenced as `{{stages.<name>}}`. */
const stageName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_"');
/** `auto`, `<provider>/<model>`, or an agent's name: what an agent's `model` accepts. */
const modelId = z.string().min(1);

const stageCommon = {
  /** Unique within the pipeline; `input_from` and `{{stages.<name>}}` refer to it. */
  name: stageName,
  /** The system message of every call this stage makes ("" sends none). */
  system_prompt: z.string().default(''),
  /**
   * The user message each model of the stage gets, as a template. Unset: the input itself; and for a stage
   * whose only input is the request, the request's whole conversation (so a chat keeps its history).
   */
  prompt: z.string().min(1).optional(),
  /**
   * Earlier stage names and/or `request`. Unset: `request` for the first stage, the previous stage for the
   * others. Several sources are joined under `## <name>` headings, in the order listed.
   */
  input_from: z.array(z.string().min(1)).min(1).optional(),
  /** `input_plus_answer` passes the stage's input on with the answer after it (a blank line between). */
  output_mode: z.enum(['answer_only', 'input_plus_answer']).default('answer_only'),
  /** Sampling temperature of this stage's calls; unset leaves the provider's default. */
  temperature: z.number().min(0).max(2).optional(),
  /** Cap on each answer's tokens in this stage; unset leaves the provider's default. */
  max_tokens: positiveInt.optional(),
};

/** One model answers. */
export const singleStageSchema = z.strictObject({
  ...stageCommon,
  type: z.literal('single'),
  model: modelId.default('auto'),
});

/** The answers joined in model order, `separator` between them (unset: a blank line). */
export const concatAggregateSchema = z.strictObject({
  method: z.literal('concat'),
  separator: z.string().optional(),
});

/**
 * Majority of the answers after normalising (trimmed, whitespace collapsed, lower case, trailing punctuation
 * dropped); a tie goes to the answer given first in `models` order. The output is that answer as written.
 */
export const voteAggregateSchema = z.strictObject({
  method: z.literal('vote'),
});

/** Another model reads the numbered answers and writes the one answer. */
export const synthesisAggregateSchema = z.strictObject({
  method: z.literal('synthesis'),
  /** The model that writes the synthesis: `auto`, `<provider>/<model>` or an agent name. */
  model: modelId,
  system_prompt: z.string().default(''),
  /** Template of its user message. Unset: the stage's input and `{{answers}}` with an instruction to combine them. */
  prompt: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: positiveInt.optional(),
});

/** The output is this template filled in (`{{answers}}`, `{{answer.1}}`, `{{models}}`, `{{input}}`, ...). */
export const templateAggregateSchema = z.strictObject({
  method: z.literal('template'),
  template: z.string().min(1),
});

export const pipelineAggregateSchema = z.discriminatedUnion('method', [
  concatAggregateSchema,
  voteAggregateSchema,
  synthesisAggregateSchema,
  templateAggregateSchema,
]);

/** Several models answer the same prompt, in parallel; `aggregate` turns their answers into one output. */
export const multiStageSchema = z.strictObject({
  ...stageCommon,
  type: z.literal('multi'),
  /** Two or more model ids, in order (ties and concatenation follow it). A model may repeat (sampling). */
  models: z.array(modelId).min(2),
  aggregate: pipelineAggregateSchema,
});

export const pipelineStageSchema = z.discriminatedUnion('type', [singleStageSchema, multiStageSchema]);

export const pipelineConfigSchema = z.strictObject({
  /** The model id clients call; listed on /v1/models. Unique among pipelines and agents; not `auto`. */
  name: pipelineName,
  description: z.string().default(''),
  /** Run in order; the last stage's output is the answer. */
  stages: z.array(pipelineStageSchema).min(1),
});

export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type PipelineStageConfig = z.output<typeof pipelineStageSchema>;
export type SingleStageConfig = z.output<typeof singleStageSchema>;
export type MultiStageConfig = z.output<typeof multiStageSchema>;
export type PipelineAggregateConfig = z.output<typeof pipelineAggregateSchema>;
export type PipelineOutputMode = PipelineStageConfig['output_mode'];
