import type { PipelineStageConfig } from './pipeline.schema.js';
import type { FinishReason, Usage } from './openai.schema.js';

/**
 * What a pipeline run keeps of each stage (stored on the run's `output` as `PipelineRunOutput`, JSON as it
 * is), so people can see how the final answer came about: what each stage read, what every model answered,
 * how a vote went.
 */

/** One model call of a stage. */
export interface PipelineModelAnswer {
  /** The model id as configured for the stage (`auto`, `<provider>/<model>`, an agent name). */
  model: string;
  /** Who actually answered, `<provider>/<model>` (differs from `model` for `auto` and agents). */
  servedBy: string;
  text: string;
  usage: Usage;
  /** `length` says the answer was cut at max_tokens. */
  finishReason: FinishReason;
}

/** One distinct answer of a vote, after normalising. */
export interface PipelineVoteTally {
  /** The normalised answer (trimmed, whitespace collapsed, lower case, trailing punctuation dropped). */
  answer: string;
  count: number;
  /** The models that gave it, in `models` order. */
  models: string[];
}

export interface PipelineStageOutput {
  stage: string;
  type: PipelineStageConfig['type'];
  /** The text the stage read (its sources joined); for a first stage, the request's last user message. */
  input: string;
  /** Every model's answer, in `models` order (one for a single stage). */
  answers: PipelineModelAnswer[];
  /** The synthesis call, for a multi stage aggregated by `synthesis`. */
  synthesis?: PipelineModelAnswer;
  /** The tally, most votes first (ties in `models` order), for a multi stage aggregated by `vote`. */
  votes?: PipelineVoteTally[];
  /** What later stages (and, for the last stage, the client) get; includes the input for `input_plus_answer`. */
  output: string;
  /** Tokens of every call of this stage, synthesis included. */
  usage: Usage;
  durationMs: number;
}

/** The run's record of a pipeline: stored in `Run.output`. */
export interface PipelineRunOutput {
  pipeline: string;
  stages: PipelineStageOutput[];
}
