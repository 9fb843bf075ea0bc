import type { PipelineStageOutput, Usage } from '@switchboard/contracts';

/** Why a pipeline run stopped: which pipeline, which stage, which model, and whether trying again may help. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    message: string,
    readonly details: {
      pipeline: string;
      stage: string;
      /** The stage's model id whose call failed; unset when the stage failed before or after its calls. */
      model?: string;
      /** The run's signal was aborted (client gone, cancel, budget), not a failure. */
      isAbort: boolean;
      /** From the provider's error: a retry of the run (or another provider) may succeed. */
      isRetryable: boolean;
      /** The stages that finished before the failure, to keep on the run. */
      stages?: PipelineStageOutput[];
      /** Tokens those stages used (calls of the failed stage are not counted). */
      usage?: Usage;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
  }
}
