import { describe, expect, it } from '@jest/globals';
import { parseRateSpec, rateSpecSchema } from './rate-spec.js';

describe('rate limit specs', () => {
  it('reads a number as per minute, and seed-style windows joined by ;', () => {
    expect(parseRateSpec(60)).toEqual([{ limit: 60, windowMs: 60_000, label: '60/minute' }]);
    expect(parseRateSpec('100/hour')).toEqual([{ limit: 100, windowMs: 3_600_000, label: '100/hour' }]);
    expect(parseRateSpec('200/day; 50/hour')).toEqual([
      { limit: 200, windowMs: 86_400_000, label: '200/day' },
      { limit: 50, windowMs: 3_600_000, label: '50/hour' },
    ]);
    expect(parseRateSpec('10/seconds')).toEqual([{ limit: 10, windowMs: 1000, label: '10/second' }]);
  });

  it('names what is wrong with anything else', () => {
    expect(parseRateSpec('100/fortnight')).toMatch(/"100\/fortnight" is not a rate/);
    expect(parseRateSpec('0/hour')).toMatch(/not a rate/);
    expect(parseRateSpec(1.5)).toMatch(/whole number/);
    const parsed = rateSpecSchema.safeParse('lots');
    expect(parsed.success).toBe(false);
  });
});
