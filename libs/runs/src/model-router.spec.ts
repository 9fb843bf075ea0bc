import { describe, expect, it } from '@jest/globals';
import { ModelCatalog, switchboardConfigSchema } from '@switchboard/contracts';
import { resolveTarget, RouteError } from './model-router.js';

const config = switchboardConfigSchema.parse({
  providers: [
    { name: 'off', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', models: ['x'], enabled: false },
    { name: 'remote', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', models: ['r1', 'r2'] },
    { name: 'other', type: 'openai-compatible', base_url: 'http://127.0.0.1:2/v1', models: ['o1'] },
  ],
  auto_pick: { priority: ['off', 'remote', 'other'] },
  agents: [
    { name: 'writer', model: 'remote/r2', fallbacks: ['other/o1', 'auto'], system_prompt: 'Write.' },
    { name: 'boss', model: 'writer' },
    { name: 'typo', model: 'remote/r1', fallbacks: ['nowhere/x'] },
    { name: 'switched', model: 'remote/r1', fallbacks: ['off/x', 'other/o1'] },
  ],
});
const catalog = new ModelCatalog(config);

describe('resolveTarget', () => {
  it('routes provider/model ids, and passes unlisted models of a remote provider through', () => {
    expect(resolveTarget(config, catalog, 'remote/r1')).toEqual({
      provider: 'remote',
      model: 'r1',
      candidates: [{ provider: 'remote', model: 'r1' }],
      agent: null,
    });
    expect(resolveTarget(config, catalog, 'remote/vendor/other')).toMatchObject({ provider: 'remote', model: 'vendor/other' });
  });

  it('expands auto to one model per enabled provider of the priority list, in order', () => {
    expect(resolveTarget(config, catalog, 'auto').candidates).toEqual([
      { provider: 'remote', model: 'r1' },
      { provider: 'other', model: 'o1' },
    ]);
  });

  it("appends a request's models list (OpenRouter's fallbacks) after its model, without repeats", () => {
    expect(resolveTarget(config, catalog, 'remote/r2', { models: ['other/o1', 'remote/r2', 'auto'] }).candidates).toEqual([
      { provider: 'remote', model: 'r2' },
      { provider: 'other', model: 'o1' },
      { provider: 'remote', model: 'r1' },
    ]);
  });

  it("routes an agent through its model, then its fallbacks, keeping the agent that was asked for", () => {
    const target = resolveTarget(config, catalog, 'boss');
    expect(target).toMatchObject({ provider: 'remote', model: 'r2', agent: { name: 'boss' } });
    // boss has no fallbacks of its own; writer's do not carry over to an agent that routes through it.
    expect(target.candidates).toEqual([{ provider: 'remote', model: 'r2' }]);
    expect(resolveTarget(config, catalog, 'writer').candidates).toEqual([
      { provider: 'remote', model: 'r2' },
      { provider: 'other', model: 'o1' },
      { provider: 'remote', model: 'r1' },
    ]);
  });

  it('leaves out fallbacks on a disabled provider', () => {
    expect(resolveTarget(config, catalog, 'switched').candidates).toEqual([
      { provider: 'remote', model: 'r1' },
      { provider: 'other', model: 'o1' },
    ]);
  });

  it('refuses unknown ids, unknown fallbacks and disabled providers', () => {
    expect(() => resolveTarget(config, catalog, 'nope')).toThrow(RouteError);
    expect(() => resolveTarget(config, catalog, 'off/x')).toThrow(RouteError);
    expect(() => resolveTarget(config, catalog, 'typo')).toThrow(/nowhere\/x/);
  });
});
