import type { AgentConfig, ChatCompletionRequest, ModelCatalog, PipelineConfig, SwitchboardConfig } from '@switchboard/contracts';
import type { RouteCandidate } from './routing/routed-model.js';

/**
 * Where a run goes: the models it may be answered by, in order, and the agent it runs as, if any; or a
 * pipeline, whose stages resolve their own models (provider `pipeline`, model = the pipeline's name).
 * `provider`/`model` name the first candidate.
 */
export interface RunTarget {
  provider: string;
  model: string;
  /** Tried in order by the router: `auto_pick.priority`, an agent's model and fallbacks, a request's `models`. */
  candidates: RouteCandidate[];
  agent: AgentConfig | null;
  pipeline?: PipelineConfig;
}

export class RouteError extends Error {
  override readonly name = 'RouteError';
}

/**
 * Turns a requested model id (and a request's OpenRouter-style `models` list) into the candidates the router
 * tries. `auto` expands to one model per provider of `auto_pick.priority` (the first of each provider's list);
 * disabled providers are left out.
 */
export function resolveTarget(
  config: SwitchboardConfig,
  catalog: ModelCatalog,
  id: string,
  request?: Pick<ChatCompletionRequest, 'models'>,
): RunTarget {
  return resolveFrom(config, catalog, id, null, request);
}

/**
 * Where a run of `agent` goes, from its definition rather than by its name: a job carries the definition the
 * gateway resolved, so a worker whose directory has not caught up yet (an agent made through the API a moment
 * ago) runs it all the same.
 */
export function resolveAgentTarget(config: SwitchboardConfig, catalog: ModelCatalog, agent: AgentConfig): RunTarget {
  return resolveFrom(config, catalog, agent.model, agent);
}

function resolveFrom(
  config: SwitchboardConfig,
  catalog: ModelCatalog,
  id: string,
  start: AgentConfig | null,
  request?: Pick<ChatCompletionRequest, 'models'>,
): RunTarget {
  let agent = start;
  let current = id;
  for (let depth = 0; depth < 5; depth++) {
    const route = catalog.resolve(current) ?? (current === 'auto' ? { kind: 'auto' as const, id: 'auto' } : undefined);
    if (!route) throw new RouteError(`The model \`${current}\` does not exist.`);
    switch (route.kind) {
      case 'provider':
      case 'auto': {
        const extra = agent ? agent.fallbacks : (request?.models ?? []);
        const candidates = dedupe([...expand(config, catalog, current), ...extra.flatMap((m) => expand(config, catalog, m))]);
        const first = candidates[0];
        if (!first) throw new RouteError('`auto` found no enabled provider with a model (check auto_pick.priority and providers).');
        return { provider: first.provider, model: first.model, candidates, agent };
      }
      case 'agent': {
        const found = config.agents.find((a) => a.name === route.agent);
        if (!found) throw new RouteError(`The agent \`${route.agent}\` does not exist.`);
        agent ??= found;
        current = found.model;
        break;
      }
      case 'pipeline': {
        const pipeline = config.pipelines.find((p) => p.name === route.pipeline);
        if (!pipeline) throw new RouteError(`The pipeline \`${route.pipeline}\` does not exist.`);
        return { ...pipelineTarget(pipeline), agent };
      }
    }
  }
  throw new RouteError(`The model \`${id}\` routes through too many agents.`);
}

/** Where a pipeline's run goes: the pipeline runner, which resolves each stage's models itself. */
export function pipelineTarget(pipeline: PipelineConfig): RunTarget {
  return { provider: 'pipeline', model: pipeline.name, candidates: [], agent: null, pipeline };
}

/** A model id as the candidates it stands for: itself, or `auto`'s providers in priority order. */
function expand(config: SwitchboardConfig, catalog: ModelCatalog, id: string): RouteCandidate[] {
  if (id === 'auto') return autoCandidates(config);
  const route = catalog.resolve(id);
  // A fallback on a provider that is configured but switched off is skipped, like a disabled provider of `auto`.
  if (!route && config.providers.some((p) => !p.enabled && id.startsWith(`${p.name}/`))) return [];
  if (route?.kind !== 'provider') throw new RouteError(`The fallback model \`${id}\` does not exist (fallbacks name \`<provider>/<model>\` or \`auto\`).`);
  return [{ provider: route.provider, model: route.model }];
}

function autoCandidates(config: SwitchboardConfig): RouteCandidate[] {
  const names = config.auto_pick.priority.length ? config.auto_pick.priority : config.providers.map((p) => p.name);
  const out: RouteCandidate[] = [];
  for (const name of names) {
    const p = config.providers.find((x) => x.name === name && x.enabled);
    if (!p) continue;
    const model = p.type === 'llama-cpp' ? p.models[0]?.name : p.models[0];
    if (model) out.push({ provider: p.name, model });
  }
  return out;
}

function dedupe(candidates: RouteCandidate[]): RouteCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = `${c.provider}/${c.model}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
