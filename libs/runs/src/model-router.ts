import type { AgentConfig, ModelCatalog, PipelineConfig, SwitchboardConfig } from '@switchboard/contracts';

/**
 * Where a run goes: one model of one provider, and the agent it runs as, if any; or a pipeline, whose stages
 * resolve their own models (provider `pipeline`, model = the pipeline's name).
 */
export interface RunTarget {
  provider: string;
  model: string;
  agent: AgentConfig | null;
  pipeline?: PipelineConfig;
}

export class RouteError extends Error {
  override readonly name = 'RouteError';
}

/**
 * Turns a requested model id into a provider and model. `auto` is, for now, the first enabled provider of
 * auto_pick.priority that has a model (priority fallback across providers is the router middleware's job).
 */
export function resolveTarget(config: SwitchboardConfig, catalog: ModelCatalog, id: string): RunTarget {
  let agent: AgentConfig | null = null;
  let current = id;
  for (let depth = 0; depth < 5; depth++) {
    const route = catalog.resolve(current) ?? (current === 'auto' ? { kind: 'auto' as const, id: 'auto' } : undefined);
    if (!route) throw new RouteError(`The model \`${current}\` does not exist.`);
    switch (route.kind) {
      case 'provider':
        return { provider: route.provider, model: route.model, agent };
      case 'agent': {
        const found = config.agents.find((a) => a.name === route.agent);
        if (!found) throw new RouteError(`The agent \`${route.agent}\` does not exist.`);
        agent ??= found;
        current = found.model;
        break;
      }
      case 'auto':
        return { ...autoTarget(config), agent };
      case 'pipeline': {
        const pipeline = config.pipelines.find((p) => p.name === route.pipeline);
        if (!pipeline) throw new RouteError(`The pipeline \`${route.pipeline}\` does not exist.`);
        return { provider: 'pipeline', model: pipeline.name, agent, pipeline };
      }
    }
  }
  throw new RouteError(`The model \`${id}\` routes through too many agents.`);
}

function autoTarget(config: SwitchboardConfig): { provider: string; model: string } {
  const names = config.auto_pick.priority.length ? config.auto_pick.priority : config.providers.map((p) => p.name);
  for (const name of names) {
    const p = config.providers.find((x) => x.name === name && x.enabled);
    if (!p) continue;
    const model = p.type === 'llama-cpp' ? p.models[0]?.name : p.models[0];
    if (model) return { provider: p.name, model };
  }
  throw new RouteError('`auto` found no enabled provider with a model (check auto_pick.priority and providers).');
}
