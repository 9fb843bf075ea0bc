import { describe, expect, it } from '@jest/globals';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('expires entries after the TTL and treats a cached null as a hit', () => {
    let now = 1000;
    const cache = new TtlCache<string, string | null>(100, 10, () => now);
    cache.set('a', 'A');
    cache.set('missing', null);
    expect(cache.get('a')).toEqual({ value: 'A' });
    expect(cache.get('missing')).toEqual({ value: null });
    expect(cache.get('other')).toBeUndefined();
    now += 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('missing')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = new TtlCache<number, number>(60_000, 2);
    cache.set(1, 1);
    cache.set(2, 2);
    cache.set(3, 3);
    expect(cache.get(1)).toBeUndefined();
    expect(cache.get(2)).toEqual({ value: 2 });
    expect(cache.get(3)).toEqual({ value: 3 });
  });

  it('forgets deleted and cleared entries', () => {
    const cache = new TtlCache<string, number>(60_000, 10);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });
});
