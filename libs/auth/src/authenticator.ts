import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRow, ApiKeysRepository } from '@switchboard/db';
import { AuthError } from './auth-error.js';
import { keyBudgetOf } from './key-budget.js';
import { type AuthLogger, KeyUsageRecorder } from './key-usage.recorder.js';
import type { Principal } from './principal.js';

export interface AuthenticatorOptions {
  /** API keys in the database; null: only the keys from config count. */
  keys: ApiKeysRepository | null;
  /** config.auth.admin_key */
  adminKey: string | undefined;
  /** config.auth.api_key */
  sharedKey: string | undefined;
  /** How long a looked-up key (and whether the install is open) is trusted: config.auth.cache_ttl_ms. */
  ttlMs: number;
  logger: AuthLogger;
  maxEntries?: number;
}

/** A key with a budget is read again each second, so its spend (written by workers) stops it promptly. */
const BUDGET_TTL_MS = 1000;

const ADMIN_KEY: Principal = { kind: 'admin-key', role: 'admin', keyId: null, rateLimitPerMinute: null, budget: null };
const SHARED_KEY: Principal = { kind: 'shared-key', role: 'user', keyId: null, rateLimitPerMinute: null, budget: null };
const ANONYMOUS: Principal = { kind: 'anonymous', role: 'user', keyId: null, rateLimitPerMinute: null, budget: null };

interface CacheEntry {
  /** null: no such key, or revoked (remembered too, so a wrong key does not reach the database each time). */
  principal: Principal | null;
  expires: number;
}

/**
 * The one way a caller is authenticated, on /v1 (gateway), /api and socket.io (api). The rule:
 *
 * - An install is **open** while no admin key and no shared key is configured and the database holds no API
 *   key (revoked ones count, so revoking every key does not open it). On an open install every caller is the
 *   anonymous principal, a `user`, whatever token it sends or none (clients such as Open WebUI always send
 *   one); admin routes answer 401 and say how to get an admin key.
 * - Otherwise a request needs `Authorization: Bearer <key>`: the admin key is an admin, the shared key a user,
 *   a database key has its own role until it is revoked. Anything else is a 401.
 *
 * Keys are cached (hits and misses) for `ttlMs`, so a request costs one sha256 and a Map lookup; a key revoked
 * by another process stops working within `ttlMs` (at once in the process that revoked it, see invalidate).
 * `last_used_at` is written in batches, once per window, by KeyUsageRecorder.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly adminDigest: Buffer | undefined;
  private readonly sharedDigest: Buffer | undefined;
  private readonly usage: KeyUsageRecorder | undefined;
  private readonly maxEntries: number;
  private open: boolean | undefined;
  private openUntil = 0;

  constructor(private readonly options: AuthenticatorOptions) {
    this.adminDigest = options.adminKey ? digest(options.adminKey) : undefined;
    this.sharedDigest = options.sharedKey ? digest(options.sharedKey) : undefined;
    this.usage = options.keys ? new KeyUsageRecorder(options.keys, options.ttlMs, options.logger) : undefined;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The caller, or an AuthError (401) saying what is wrong; other errors mean the key store failed. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (await this.isOpen()) return ANONYMOUS;
    const token = bearerToken(authorization);
    const tokenDigest = digest(token);
    if (this.adminDigest && timingSafeEqual(tokenDigest, this.adminDigest)) return ADMIN_KEY;
    if (this.sharedDigest && timingSafeEqual(tokenDigest, this.sharedDigest)) return SHARED_KEY;
    const principal = await this.lookup(tokenDigest.toString('hex'));
    if (!principal) throw new AuthError(401, 'invalid_api_key', 'Invalid or revoked API key');
    return principal;
  }

  /** Admin routes: an admin passes; a user is refused (403); the anonymous caller of an open install is told how to get a key. */
  requireAdmin(principal: Principal): void {
    if (principal.role === 'admin') return;
    if (principal.kind === 'anonymous') {
      throw new AuthError(
        401,
        'admin_key_required',
        'This route needs an admin key, and none is configured: set SWITCHBOARD_ADMIN_KEY, or create one with `switchboard keys create --role admin`',
      );
    }
    throw new AuthError(403, 'admin_key_required', 'This route needs an admin key');
  }

  async isOpen(): Promise<boolean> {
    if (this.adminDigest || this.sharedDigest) return false;
    if (!this.options.keys) return true;
    const now = Date.now();
    if (this.open === undefined || now >= this.openUntil) {
      this.open = (await this.options.keys.count()) === 0;
      this.openUntil = now + this.options.ttlMs;
    }
    return this.open;
  }

  /** After this process created or revoked a key: it is seen at once here (other processes within the TTL). */
  invalidate(hash: string): void {
    this.cache.delete(hash);
    this.open = undefined;
  }

  /** Writes the pending last-used times. */
  close(): Promise<void> {
    return this.usage?.flush() ?? Promise.resolve();
  }

  private async lookup(hash: string): Promise<Principal | null> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now) return hit.principal;
    if (!this.options.keys) return null;
    const row = await this.options.keys.findByHash(hash);
    const principal = row && !row.revokedAt ? principalOf(row) : null;
    if (principal?.keyId) this.usage?.record(principal.keyId);
    this.cache.delete(hash);
    if (this.cache.size >= this.maxEntries) {
      // Map keeps insertion order: the first entry is the oldest.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    const ttl = principal?.budget ? Math.min(this.options.ttlMs, BUDGET_TTL_MS) : this.options.ttlMs;
    this.cache.set(hash, { principal, expires: now + ttl });
    return principal;
  }
}

function principalOf(row: ApiKeyRow): Principal {
  return { kind: 'api-key', role: row.role, keyId: row.id, rateLimitPerMinute: row.rateLimitPerMinute, budget: keyBudgetOf(row) };
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** The key of `Bearer <key>`, or a 401 that says what is missing or malformed. */
function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw new AuthError(401, 'missing_api_key', 'Missing API key: send it as "Authorization: Bearer <key>"');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw new AuthError(401, 'malformed_authorization', 'Malformed Authorization header: expected "Bearer <key>"');
  return match[1];
}
