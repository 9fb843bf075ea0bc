import { describe, expect, it } from '@jest/globals';
import { type BenchmarkResultDto, switchboardConfigSchema } from '@switchboard/contracts';
import { recommend } from './benchmark-run.js';

const result = (model: string, score: number | null, cost: number, p50: number, extra: Partial<BenchmarkResultDto> = {}): BenchmarkResultDto => ({
  model,
  provider: model.split('/')[0]!,
  provider_model: model.split('/')[1]!,
  local: model.startsWith('local/'),
  reference_only: false,
  prompts: 8,
  errors: 0,
  error: null,
  ttft_ms: { p50: p50 / 4, max: p50 },
  latency_ms: { p50, max: p50 * 2 },
  tokens_per_second: 20,
  prompt_tokens: 100,
  completion_tokens: 50,
  cost,
  peak_rss_bytes: null,
  quality: { method: 'token-f1', score },
  answers: [],
  ...extra,
});

const config = switchboardConfigSchema.parse({
  agents: [
    { name: 'chat', model: 'auto' },
    { name: 'quick', model: 'auto', tools: ['calculator'], budgets: { sync: { max_iterations: 2, max_seconds: 1 }, background: { max_iterations: 2, max_seconds: 10 } } },
  ],
});

describe('benchmark recommendations', () => {
  it('picks the cheapest model within 80 % of the best quality that fits the sync budget, and says why', () => {
    const results = [result('local/small', 0.75, 0, 800), result('cloud/big', 0.9, 0.004, 1500), result('cloud/ref', 1, 0.02, 3000, { reference_only: true })];
    const [chat, quick] = recommend(config, results);
    // 0.75 >= 0.8 x 0.9 = 0.72: the free local model is good enough.
    expect(chat).toMatchObject({ agent: 'chat', model: 'local/small' });
    expect(chat!.reason).toContain('quality 0.75 (token-f1; best 0.9 by cloud/big)');
    expect(chat!.reason).toContain('cloud/big: quality 0.9, cost 0.004');
    // 1 s sync budget: only the local model answers in time; its tools were not benchmarked.
    expect(quick).toMatchObject({ agent: 'quick', model: 'local/small' });
    expect(quick!.reason).toContain('Its tools were not part of the benchmark');
  });

  it('prefers quality when the cheap model is far behind, and recommends nothing without a clean result', () => {
    expect(recommend(config, [result('local/small', 0.3, 0, 800), result('cloud/big', 0.9, 0.004, 900)])[0]).toMatchObject({ model: 'cloud/big' });
    const none = recommend(config, [result('local/small', 0.9, 0, 800, { errors: 1 })]);
    expect(none[0]).toMatchObject({ model: null, reason: 'None recommended: no benchmarked model answered every prompt.' });
    expect(recommend(config, [result('cloud/slow', 0.9, 0, 5000)])[1]).toMatchObject({ model: null, reason: expect.stringContaining('sync budget (1 s)') });
  });
});
