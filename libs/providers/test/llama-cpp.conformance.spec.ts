import type { LanguageModel } from '../src/index.js';
import { describeLanguageModelConformance, type ModelLimits } from './conformance.js';
import { startProvider, testModelDir, type ProviderFixture } from './llama-cpp.fixture.js';

/**
 * The shared LanguageModel suite against node-llama-cpp with a generated random-weight model. Its answers
 * are not scriptable (content is whatever the weights say), it has no HTTP to fail or stall, so those tests
 * are skipped; tool calls and JSON schemas are enforced by grammars, so those run.
 */
describeLanguageModelConformance({
  name: 'llama-cpp with a generated test model',
  capabilities: {
    scriptedAnswers: false,
    requestInspection: false,
    httpErrors: false,
    silence: false,
    streamFaults: false,
    toolCalls: true,
    jsonSchema: true,
  },
  async setup() {
    const files = await testModelDir(21);
    const fixtures = new Map<string, ProviderFixture>();
    let latest: ProviderFixture | undefined;
    const fixtureFor = (limits: ModelLimits): ProviderFixture => {
      const key = `${limits.firstTokenTimeoutMs ?? ''}/${limits.timeoutMs ?? ''}`;
      let fixture = fixtures.get(key);
      if (!fixture) {
        fixture = startProvider(files.dir, {
          ...(limits.firstTokenTimeoutMs ? { first_token_timeout_ms: limits.firstTokenTimeoutMs } : {}),
          ...(limits.timeoutMs ? { timeout_ms: limits.timeoutMs } : {}),
          models: [{ name: 'test', params: { parallel: 2 } }],
        });
        fixtures.set(key, fixture);
      }
      return fixture;
    };
    return {
      target: {
        createModel: async (limits = {}): Promise<LanguageModel> => {
          const fixture = (latest = fixtureFor(limits));
          await fixture.provider.preload('test');
          // Random weights end turns at random: fixed-length answers keep "many deltas" tests meaningful.
          // Two calls per turn at most: with end of turn suppressed the model would call until the cap.
          return fixture.provider.languageModel('test', { ignoreEos: true, maxParallelToolCalls: 2 });
        },
        scriptAnswer: () => undefined,
        callReleased: async () => {
          const fixture = latest;
          if (!fixture) throw new Error('no model was created');
          // Released at once on an idle machine; the deadline leaves room for a busy one.
          const deadline = performance.now() + 10_000;
          while (fixture.provider.stats().some((s) => s.busy > 0)) {
            if (performance.now() > deadline) throw new Error('the call still holds its sequence after 10 s');
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          const last = fixture.settled.at(-1);
          if (last?.outcome !== 'aborted') throw new Error(`expected the last call to be aborted, it was: ${last?.outcome ?? 'none'}`);
        },
        // Seeded so the grammar-constrained JSON answers are the same on every run.
        // Enough tokens for two tool calls with their arguments; max_tokens cutting a call would end with "length".
        baseOptions: { maxTokens: 128, seed: 1 },
      },
      teardown: async () => {
        await Promise.all([...fixtures.values()].map((f) => f.close()));
        await files.remove();
      },
    };
  },
});
