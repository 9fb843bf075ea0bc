import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key secrets: `sb-` + 40 url-safe random characters. Only the sha256 of the whole secret is stored;
 * the first characters (`prefix`) are kept in clear so people can tell keys apart.
 * The gateway, the API and the CLI all use these, so a key made anywhere works everywhere.
 */
export const API_KEY_PREFIX = 'sb-';

export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const secret = API_KEY_PREFIX + randomBytes(30).toString('base64url');
  return { secret, prefix: apiKeyDisplayPrefix(secret), hash: hashApiKey(secret) };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function apiKeyDisplayPrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + 6);
}

/** Constant-time comparison of a presented key with a configured one (hashed first, so lengths never leak). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}
