import { type SwitchboardConfig } from '@switchboard/contracts';
import { type LoadContext } from './load-context.js';
import { didYouMean } from './problem-text.js';

/** Reports the second and later uses of a name, pointing back at the first. */
function checkUnique(names: readonly string[], what: string, pathOf: (i: number) => (string | number)[], ctx: LoadContext): void {
  const first = new Map<string, number>();
  names.forEach((name, i) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else ctx.report(pathOf(i), `duplicate ${what} "${name}" (already used at index ${earlier})`);
  });
}

/**
 * Rules that span several keys, which the schema cannot express: names are unique, and every reference
 * (auto_pick.priority, an agent's model) points at something that exists, so a typo fails at start and not
 * on the first request that happens to take that route.
 */
export function crossValidate(config: SwitchboardConfig, ctx: LoadContext): void {
  const providers = new Map(config.providers.map((p) => [p.name, p]));
  const providerNames = [...providers.keys()];
  const agentNames = new Set(config.agents.map((a) => a.name));

  // Only the scheme is shown: the rest of a URL may hold a password.
  const scheme = (url: string): string => /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? 'no scheme';
  if (config.database.url !== undefined && !/^(postgres|postgresql|mysql|mariadb):\/\//i.test(config.database.url)) {
    ctx.report(['database', 'url'], `expected a postgresql://, mysql:// or mariadb:// URL, got ${scheme(config.database.url)}`);
  }
  if (!/^rediss?:\/\//i.test(config.redis.url)) {
    ctx.report(['redis', 'url'], `expected a redis:// or rediss:// URL, got ${config.redis.url === '' ? 'an empty value' : scheme(config.redis.url)}`);
  }

  checkUnique(config.providers.map((p) => p.name), 'provider name', (i) => ['providers', i, 'name'], ctx);
  checkUnique(config.agents.map((a) => a.name), 'agent name', (i) => ['agents', i, 'name'], ctx);

  config.providers.forEach((provider, i) => {
    switch (provider.type) {
      case 'llama-cpp':
        checkUnique(provider.models.map((m) => m.name), 'model name', (j) => ['providers', i, 'models', j, 'name'], ctx);
        break;
      case 'openai-compatible':
        if (!provider.preset && !provider.base_url) {
          ctx.report(['providers', i], 'an openai-compatible provider needs a preset or a base_url (where to send requests)');
        }
        break;
    }
  });

  checkUnique(config.auto_pick.priority, 'entry', (i) => ['auto_pick', 'priority', i], ctx);
  config.auto_pick.priority.forEach((name, i) => {
    if (!providers.has(name)) {
      ctx.report(
        ['auto_pick', 'priority', i],
        `"${name}" is not a configured provider${didYouMean(name, providerNames)}; configured: ${providerNames.join(', ') || 'none'}`,
      );
    }
  });

  config.agents.forEach((agent, i) => {
    const problem = checkModelReference(agent.name, agent.model, config, agentNames);
    if (problem) ctx.report(['agents', i, 'model'], problem);
  });
}

/** An agent's model: `auto`, `<provider>/<model>`, or another agent (no loops). */
function checkModelReference(
  agentName: string,
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
  if (model === agentName) return `"${model}" is the agent itself`;
  if (!agentNames.has(model)) {
    return `expected "auto", "<provider>/<model>" or an agent name, got "${model}"${didYouMean(model, [...agentNames])}`;
  }
  // Follow the chain of agents routing to agents: a loop would never reach a model.
  const seen = new Set([agentName]);
  let next: string | undefined = model;
  while (next !== undefined && !next.includes('/') && next !== 'auto') {
    if (seen.has(next)) return `routes ${[...seen, next].join(' -> ')}, a loop that never reaches a model`;
    seen.add(next);
    const name: string = next;
    next = config.agents.find((a) => a.name === name)?.model;
  }
  return undefined;
}
