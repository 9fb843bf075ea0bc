import { PipelineError, runPipeline } from '@switchboard/agents';
import type { ChatMessage, ModelCatalog, PipelineConfig, PipelineRunOutput, PipelineStageOutput, SwitchboardConfig } from '@switchboard/contracts';
import type { LanguageModel } from '@switchboard/providers';
import { markOutput, type ModelRouter, type ProviderRegistry, resolveTarget, RouteError, type RunState } from '@switchboard/runs';

export interface PipelineRunDeps {
  config: SwitchboardConfig;
  catalog: ModelCatalog;
  registry: ProviderRegistry;
  router: ModelRouter;
}

export interface PipelineRunInput {
  pipeline: PipelineConfig;
  messages: ChatMessage[];
  signal: AbortSignal;
  state: RunState;
  emit: { text(delta: string): void; progress(note: string): void };
}

/**
 * Runs a request addressed to a pipeline: stage progress goes to the client as reasoning, the last stage's
 * answer as text, and every stage's output is kept on the run (`Run.output`), also when a stage failed.
 * A stage's model id resolves like a request's (`auto`, `<provider>/<model>`, or an agent's model; an agent's
 * tools and budgets do not apply inside a stage).
 */
export async function runPipelineTarget(deps: PipelineRunDeps, input: PipelineRunInput): Promise<void> {
  const { pipeline, state } = input;
  const resolve = (id: string): LanguageModel => {
    const target = resolveTarget(deps.config, deps.catalog, id);
    if (target.pipeline) throw new RouteError(`\`${id}\` is a pipeline; a stage needs a model.`);
    return deps.router.model(target.candidates, { attempt: (a) => void state.attempts.push(a) });
  };
  const keep = (stages: PipelineStageOutput[]): void => {
    state.output = { pipeline: pipeline.name, stages } satisfies PipelineRunOutput;
    state.cost = stages.reduce((sum, s) => sum + stageCost(deps.registry, s), 0);
  };
  try {
    const result = await runPipeline(pipeline, input.messages, {
      model: resolve,
      signal: input.signal,
      onStage: (e) =>
        input.emit.progress(e.status === 'started' ? `Stage ${e.index + 1} of ${e.total}: ${e.stage}\n` : `Stage ${e.stage} done\n`),
      onText: (delta) => {
        markOutput(state);
        state.text += delta;
        input.emit.text(delta);
      },
    });
    state.usage = result.usage;
    state.finishReason = result.finishReason;
    keep(result.stages);
  } catch (error) {
    if (error instanceof PipelineError) {
      keep(error.details.stages ?? []);
      if (error.details.usage) state.usage = error.details.usage;
    }
    throw error;
  }
}

/** What a stage's calls cost, from each serving provider's pricing. */
function stageCost(registry: ProviderRegistry, stage: PipelineStageOutput): number {
  const calls = stage.synthesis ? [...stage.answers, stage.synthesis] : stage.answers;
  return calls.reduce((sum, a) => {
    const slash = a.servedBy.indexOf('/');
    return sum + registry.price(a.servedBy.slice(0, slash), a.servedBy.slice(slash + 1), a.usage);
  }, 0);
}
