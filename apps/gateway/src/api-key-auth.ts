import { hashApiKey, secretsEqual } from '@switchboard/contracts';
import type { ApiKeysRepository } from '@switchboard/db';
import { type KeyBudget, keyBudgetOf } from './key-budget.js';

export interface Principal {
  /** The database key's id; null for the configured shared key, the admin key, or an open install. */
  keyId: string | null;
  role: 'admin' | 'user';
  rateLimitPerMinute: number | null;
  /** The key's budget and spend when it was looked up; null when it has none. */
  budget: KeyBudget | null;
}

const BUDGET_TTL_MS = 1000;

const anonymous: Principal = { keyId: null, role: 'user', rateLimitPerMinute: null, budget: null };

interface CacheEntry {
  principal: Principal | null;
  expires: number;
}

/**
 * Resolves a Bearer token to a principal. Database keys are cached (positive and negative) for `ttlMs`, so
 * authentication costs no database round trip per request; a revoked key stops working within that TTL.
 * With no admin key, no shared key and no keys in the database, the install is open (single-user laptop).
 */
export class ApiKeyAuth {
  private readonly cache = new Map<string, CacheEntry>();
  private openUntil = 0;
  private open = false;

  constructor(
    private readonly keys: ApiKeysRepository | null,
    private readonly adminKey: string | undefined,
    private readonly sharedKey: string | undefined,
    private readonly ttlMs = 10000,
    private readonly maxEntries = 10000,
  ) {}

  /** Resolves to the principal, or null when the token is missing or wrong. */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
    // An open install accepts any token: clients such as Open WebUI always send one.
    if (!token || (!this.keys && (await this.isOpen()))) return (await this.isOpen()) ? anonymous : null;
    if (this.adminKey && secretsEqual(token, this.adminKey)) return { keyId: null, role: 'admin', rateLimitPerMinute: null, budget: null };
    if (this.sharedKey && secretsEqual(token, this.sharedKey)) return { keyId: null, role: 'user', rateLimitPerMinute: null, budget: null };
    if (!this.keys) return null;
    const hash = hashApiKey(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now) return hit.principal;
    const row = await this.keys.findByHash(hash);
    const principal =
      row && !row.revokedAt
        ? { keyId: row.id, role: row.role, rateLimitPerMinute: row.rateLimitPerMinute, budget: keyBudgetOf(row) }
        : (await this.isOpen())
          ? anonymous
          : null;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    // A key with a budget is read again each second, so its spend (written by workers) stops it promptly.
    const ttl = principal?.budget ? Math.min(this.ttlMs, BUDGET_TTL_MS) : this.ttlMs;
    this.cache.set(hash, { principal, expires: now + ttl });
    return principal;
  }

  async isOpen(): Promise<boolean> {
    if (this.adminKey || this.sharedKey) return false;
    if (!this.keys) return true;
    const now = Date.now();
    if (now >= this.openUntil) {
      this.open = (await this.keys.count()) === 0;
      this.openUntil = now + this.ttlMs;
    }
    return this.open;
  }
}
