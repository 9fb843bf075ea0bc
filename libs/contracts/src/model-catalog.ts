import type { SwitchboardConfig } from './config.schema.js';
import type { ModelObject } from './openai.schema.js';

/** What a model id names: the auto route, an agent, a pipeline, or one model of one provider. */
export type ModelRoute =
  | { kind: 'auto'; id: string }
  | { kind: 'agent'; id: string; agent: string }
  /** Run by the pipeline runner (libs/agents), not routed to one model. */
  | { kind: 'pipeline'; id: string; pipeline: string }
  | { kind: 'provider'; id: string; provider: string; model: string };

/**
 * Both the gateway (to list and validate) and the worker (to route) read model ids through this one class.
 * The ids /v1/models lists and /v1/chat/completions accepts, built once from config. The JSON of the list
 * is rendered once too: Open WebUI asks for it often.
 */
export class ModelCatalog {
  private readonly routes = new Map<string, ModelRoute>();
  private readonly passthrough = new Set<string>();
  readonly listJson: string;

  constructor(config: SwitchboardConfig, created = Math.floor(Date.now() / 1000)) {
    const models: ModelObject[] = [];
    const add = (route: ModelRoute, ownedBy: string, name?: string): void => {
      if (this.routes.has(route.id)) return;
      this.routes.set(route.id, route);
      models.push({ id: route.id, object: 'model', created, owned_by: ownedBy, ...(name ? { name } : {}) });
    };
    for (const agent of config.agents) add({ kind: 'agent', id: agent.name, agent: agent.name }, 'switchboard', agent.name);
    for (const pipeline of config.pipelines) {
      add({ kind: 'pipeline', id: pipeline.name, pipeline: pipeline.name }, 'switchboard', pipeline.name);
    }
    const enabled = config.providers.filter((p) => p.enabled);
    for (const provider of enabled) {
      const names = provider.type === 'llama-cpp' ? provider.models.map((m) => m.name) : provider.models;
      for (const model of names) add({ kind: 'provider', id: `${provider.name}/${model}`, provider: provider.name, model }, provider.name);
    }
    for (const p of enabled) if (p.type === 'openai-compatible') this.passthrough.add(p.name);
    if (config.auto_pick.enabled) add({ kind: 'auto', id: 'auto' }, 'switchboard', 'auto');
    this.listJson = JSON.stringify({ object: 'list', data: models });
  }

  resolve(id: string): ModelRoute | undefined {
    const known = this.routes.get(id);
    if (known) return known;
    // Remote providers serve far more models than anyone lists in config: `openrouter/<any model>` passes through.
    const slash = id.indexOf('/');
    if (slash > 0 && this.passthrough.has(id.slice(0, slash)) && slash < id.length - 1) {
      return { kind: 'provider', id, provider: id.slice(0, slash), model: id.slice(slash + 1) };
    }
    return undefined;
  }

  get size(): number {
    return this.routes.size;
  }
}
