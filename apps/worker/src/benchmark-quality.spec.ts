import { describe, expect, it } from '@jest/globals';
import { containsAnswer, tokenF1, tokens } from './benchmark-quality.js';

describe('benchmark quality signals', () => {
  it('tokenizes lowercased, without punctuation', () => {
    expect(tokens('The capital is Paris!')).toEqual(['the', 'capital', 'is', 'paris']);
  });

  it('token-F1 is 1 for the same words, 0 for none shared, and in between for a partial match', () => {
    expect(tokenF1('Paris.', 'paris')).toBe(1);
    expect(tokenF1('London', 'Paris')).toBe(0);
    // answer: the capital is paris (4 tokens); reference: paris (1): precision 1/4, recall 1 -> F1 0.4
    expect(tokenF1('The capital is Paris', 'Paris')).toBeCloseTo(0.4, 10);
    // Repeated tokens count once per occurrence in the reference.
    expect(tokenF1('paris paris', 'paris')).toBeCloseTo(2 / 3, 10);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('', 'paris')).toBe(0);
  });

  it('contains matches whole tokens in order', () => {
    expect(containsAnswer('It is Mars, the red one.', 'Mars')).toBe(1);
    expect(containsAnswer('Marshmallow', 'Mars')).toBe(0);
    expect(containsAnswer('{"ok": true}', '"ok": true')).toBe(1);
    expect(containsAnswer('17 x 3 = 51', '51')).toBe(1);
    expect(containsAnswer('anything', '')).toBe(0);
  });
});
