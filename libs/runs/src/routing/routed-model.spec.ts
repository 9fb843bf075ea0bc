import { describe, expect, it } from '@jest/globals';
import { continuationMessages, OverlapTrimmer } from './routed-model.js';
import { formatResetDuration } from './rate-limits.js';

describe('continuing a cut answer', () => {
  const partial = 'The quick brown fox jumps over the';

  it('drops what a continuation repeats of the partial answer, however it arrives in deltas', () => {
    const t = new OverlapTrimmer(partial);
    const out = ['jumps ', 'over the', ' lazy', ' dog.'].map((d) => t.push(d)).join('') + t.flush();
    expect(partial + out).toBe('The quick brown fox jumps over the lazy dog.');
  });

  it('keeps a continuation that repeats nothing, and a short chance overlap', () => {
    const t = new OverlapTrimmer(partial);
    expect([' lazy', ' dog.'].map((d) => t.push(d)).join('') + t.flush()).toBe(' lazy dog.');
    const chance = new OverlapTrimmer('I said the');
    expect(chance.push('e end.') + chance.flush()).toBe('e end.');
  });

  it('lets through what it held back when the stream ends early', () => {
    const t = new OverlapTrimmer(partial);
    expect(t.push('over')).toBe('');
    expect(t.flush()).toBe('over');
  });

  it('asks by prefill, or in words as well', () => {
    const messages = [{ role: 'user' as const, content: 'q' }];
    expect(continuationMessages(messages, 'half', 'prefill')).toEqual([...messages, { role: 'assistant', content: 'half' }]);
    const instruct = continuationMessages(messages, 'half', 'instruct');
    expect(instruct.slice(0, 2)).toEqual([...messages, { role: 'assistant', content: 'half' }]);
    expect(instruct[2]).toMatchObject({ role: 'user' });
  });
});

describe('x-ratelimit-reset durations', () => {
  it("are written as OpenAI writes them", () => {
    expect(formatResetDuration(20)).toBe('20ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(3_723_000)).toBe('1h2m3s');
  });
});
