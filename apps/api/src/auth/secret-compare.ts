import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a presented key with a configured one (hashed first: equal lengths). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}
