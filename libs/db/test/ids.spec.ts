// Ids made by newId: their layout, their order, and the pooled random bytes behind them.
import { describe, expect, it } from '@jest/globals';
import { newId } from '../src/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('makes UUIDv7-shaped ids that sort in the order they were made, past a refill of the random pool', () => {
    // 4 KB of pooled random bytes serve 512 ids: 2,000 cross several refills.
    const ids = Array.from({ length: 2000 }, () => newId());
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('varies its random part from one id to the next', () => {
    const tails = new Set(Array.from({ length: 600 }, () => newId().slice(19)));
    expect(tails.size).toBe(600);
  });
});
