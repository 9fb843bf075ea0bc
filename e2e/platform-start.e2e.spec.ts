import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * What a new user does first: start the platform on the shipped config and embedded defaults (PGlite, local
 * Redis), then look at the configured agents. Only ports, the data folder and the Redis prefix are moved
 * aside (through the documented environment overrides) so the test runs beside anything else.
 */
let platform: PlatformProcess;

beforeAll(async () => {
  platform = await startPlatformProcess({
    configYaml: null,
    dirEnv: true,
  });
}, 120000);

afterAll(async () => {
  await platform?.stop();
  await cleanUp(platform);
});

describe('switchboard start on the shipped config', () => {
  it('serves the configured agents from the embedded database', async () => {
    const res = await fetch(`${platform.urls.api}/api/agents`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { name: string }[] };
    expect(body.data.map((a) => a.name)).toContain('assistant');
  });

  it('answers health and readiness on every app', async () => {
    for (const app of ['api', 'gateway', 'worker']) {
      expect((await fetch(`${platform.urls[app]}/healthz`)).status).toBe(200);
      expect((await fetch(`${platform.urls[app]}/readyz`)).status).toBe(200);
    }
  });

  it('lists the configured models on /v1/models', async () => {
    const res = await fetch(`${platform.urls.gateway}/v1/models`);
    const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['assistant', 'auto', 'local/qwen2.5-0.5b']));
  });

  it('streams tokens from a real GGUF through the gateway (the generated test model stands in for a missing one)', async () => {
    const res = await fetch(`${platform.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'local/qwen2.5-0.5b',
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 24,
        seed: 7,
        temperature: 0,
        messages: [{ role: 'user', content: 'Hello there' }],
      }),
    });
    expect(res.status).toBe(200);
    const chunks = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } });
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).filter(Boolean);
    expect(deltas.length).toBeGreaterThan(1);
    const usage = chunks.at(-1)!.usage!;
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(24);
    expect(['stop', 'length']).toContain(chunks.flatMap((c) => c.choices).at(-1)!.finish_reason);
    expect(platform.output()).toMatch(/generated TEST model/);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    expect(await platform.stop('SIGTERM')).toBe(0);
  });
});
