import { describe, expect, it } from '@jest/globals';
import { secretsEqual } from './api-keys.js';

describe('secretsEqual', () => {
  it('is true only for identical secrets, whatever their lengths', () => {
    expect(secretsEqual('same', 'same')).toBe(true);
    expect(secretsEqual('same', 'sam')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
    expect(secretsEqual('a'.repeat(1000), 'a'.repeat(1000))).toBe(true);
  });
});
