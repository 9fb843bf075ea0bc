import { describe, expect, it } from '@jest/globals';
import { ModelCatalog, switchboardConfigSchema } from '@switchboard/contracts';
import { resolveTarget, RouteError } from './model-router.js';

const config = switchboardConfigSchema.parse({
  providers: [
    { name: 'off', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', models: ['x'], enabled: false },
    { name: 'remote', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', models: ['r1', 'r2'] },
  ],
  auto_pick: { priority: ['off', 'remote'] },
  agents: [
    { name: 'writer', model: 'remote/r2', system_prompt: 'Write.' },
    { name: 'boss', model: 'writer' },
  ],
});
const catalog = new ModelCatalog(config);

describe('resolveTarget', () => {
  it('routes provider/model ids, and passes unlisted models of a remote provider through', () => {
    expect(resolveTarget(config, catalog, 'remote/r1')).toEqual({ provider: 'remote', model: 'r1', agent: null });
    expect(resolveTarget(config, catalog, 'remote/vendor/other')).toMatchObject({ provider: 'remote', model: 'vendor/other' });
  });

  it('routes auto to the first enabled provider of the priority list that has a model', () => {
    expect(resolveTarget(config, catalog, 'auto')).toEqual({ provider: 'remote', model: 'r1', agent: null });
  });

  it('routes an agent through its model, keeping the agent that was asked for', () => {
    expect(resolveTarget(config, catalog, 'boss')).toMatchObject({ provider: 'remote', model: 'r2', agent: { name: 'boss' } });
  });

  it('refuses unknown ids and disabled providers', () => {
    expect(() => resolveTarget(config, catalog, 'nope')).toThrow(RouteError);
    expect(() => resolveTarget(config, catalog, 'off/x')).toThrow(RouteError);
  });
});
