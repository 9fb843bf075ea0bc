import { type SwitchboardConfig } from '@switchboard/contracts';
import { type LoadContext } from './load-context.js';
import { didYouMean } from './problem-text.js';

/** Reports the second and later uses of a name, pointing back at the first. */
export function checkUnique(names: readonly string[], what: string, pathOf: (i: number) => (string | number)[], ctx: LoadContext): void {
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else ctx.report(pathOf(i), `duplicate ${what} "${name}" (already used at index ${earlier})`);
  });
}

/**
 * What an agent's `model` (or a pipeline stage's) may name: `auto`, `<provider>/<model>`, or an agent (no
 * loops). `self` is the agent whose model this is, which may not name itself; undefined for a pipeline stage.
 * Returns the problem in words, or undefined when the reference is fine.
 */
export function checkModelReference(
  self: string | undefined,
  model: string,
  config: SwitchboardConfig,
  agentNames: ReadonlySet<string>,
): string | undefined {
  if (model === 'auto') return undefined;
  const slash = model.indexOf('/');
  if (slash >= 0) {
    const providerName = model.slice(0, slash);
    const modelName = model.slice(slash + 1);
    const provider = config.providers.find((p) => p.name === providerName);
    const providerNames = config.providers.map((p) => p.name);
    if (!provider) {
      return `"${model}" names provider "${providerName}", which is not configured${didYouMean(providerName, providerNames)}`;
    }
    // A local provider serves only the files it lists; a remote one may offer more models than it lists.
    if (provider.type === 'llama-cpp' && !provider.models.some((m) => m.name === modelName)) {
      const names = provider.models.map((m) => m.name);
      return `provider "${providerName}" has no model "${modelName}"${didYouMean(modelName, names)}; it has: ${names.join(', ') || 'none'}`;
    }
    return modelName === '' ? `"${model}" lacks the model name after "/"` : undefined;
  }
  if (model === self) return `"${model}" is the agent itself`;
  if (!agentNames.has(model)) {
    return `expected "auto", "<provider>/<model>" or an agent name, got "${model}"${didYouMean(model, [...agentNames])}`;
  }
  // Follow the chain of agents routing to agents: a loop would never reach a model.
  const seen = new Set(self === undefined ? [] : [self]);
  let next: string | undefined = model;
  while (next !== undefined && !next.includes('/') && next !== 'auto') {
    if (seen.has(next)) return `routes ${[...seen, next].join(' -> ')}, a loop that never reaches a model`;
    seen.add(next);
    const name: string = next;
    next = config.agents.find((a) => a.name === name)?.model;
  }
  return undefined;
}
