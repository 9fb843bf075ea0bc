import { type SwitchboardConfig } from '@switchboard/contracts';
import { type LoadContext } from './load-context.js';
import { didYouMean } from './problem-text.js';
import { checkModelReference, checkUnique } from './reference-checks.js';
import { checkPipelines } from './pipeline-checks.js';

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

  checkPipelines(config, ctx);
}
