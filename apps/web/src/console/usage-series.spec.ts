import type { UsageRowDto } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { costPerKey, daysBetween, keyLabel, lastDays, perKeyModel, tokensPerDay, totals } from './usage-series';

const row = (overrides: Partial<UsageRowDto>): UsageRowDto => ({
  api_key_id: 'k1',
  key_name: 'alice',
  key_prefix: 'sb-alice',
  model: 'fake/m1',
  day: '2030-06-01',
  runs: 1,
  cached_runs: 0,
  prompt_tokens: 1,
  completion_tokens: 2,
  total_tokens: 3,
  cost: 0.5,
  ...overrides,
});

describe('usage series', () => {
  it('counts the last days up to today in UTC, every day in the range', () => {
    expect(lastDays(3, new Date('2030-06-03T23:30:00-02:00'))).toEqual({ from: '2030-06-02T00:00:00.000Z', to: '2030-06-05T00:00:00.000Z' });
    expect(daysBetween('2030-06-02T00:00:00.000Z', '2030-06-05T00:00:00.000Z')).toEqual(['2030-06-02', '2030-06-03', '2030-06-04']);
  });

  it('stacks tokens per day by model, biggest model first, with empty days kept', () => {
    const rows = [
      row({ model: 'fake/m1', total_tokens: 3 }),
      row({ api_key_id: 'k2', key_name: 'bob', model: 'fake/m1', total_tokens: 4 }),
      row({ model: 'local/qwen.v2', day: '2030-06-03', total_tokens: 30 }),
    ];
    const { models, points } = tokensPerDay(rows, ['2030-06-01', '2030-06-02', '2030-06-03']);
    expect(models).toEqual(['local/qwen.v2', 'fake/m1']);
    expect(points).toEqual([
      { day: '2030-06-01', tokens: { 'fake/m1': 7 } },
      { day: '2030-06-02', tokens: {} },
      { day: '2030-06-03', tokens: { 'local/qwen.v2': 30 } },
    ]);
  });

  it('sums per key and model across days, and per key, most expensive first', () => {
    const rows = [
      row({ day: '2030-06-01', runs: 2, cached_runs: 1, prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, cost: 0.25 }),
      row({ day: '2030-06-02', prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cost: 0.5 }),
      row({ api_key_id: null, key_name: null, key_prefix: null, cost: 2 }),
      row({ api_key_id: 'gone', key_name: null, key_prefix: null, model: 'council', cost: 0 }),
    ];
    expect(perKeyModel(rows).map((r) => [r.key, r.model, r.runs, r.cachedRuns, r.promptTokens, r.completionTokens, r.totalTokens, r.cost])).toEqual([
      ['(no key)', 'fake/m1', 1, 0, 1, 2, 3, 2],
      ['alice', 'fake/m1', 3, 1, 11, 22, 33, 0.75],
      ['gone', 'council', 1, 0, 1, 2, 3, 0],
    ]);
    expect(costPerKey(rows)).toEqual([
      { key: '(no key)', cost: 2, tokens: 3 },
      { key: 'alice', cost: 0.75, tokens: 33 },
      { key: 'gone', cost: 0, tokens: 3 },
    ]);
    expect(totals(rows)).toEqual({ runs: 5, cachedRuns: 1, tokens: 39, cost: 2.75 });
    expect(keyLabel({ api_key_id: 'x', key_name: 'named' })).toBe('named');
  });
});
