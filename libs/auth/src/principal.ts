import type { ApiKeyRole } from '@switchboard/db';
import type { KeyBudget } from './key-budget.js';

/** Who is calling, as the Authenticator established it: the same object on /v1, /api and socket.io. */
export interface Principal {
  /**
   * `admin-key`: config.auth.admin_key. `shared-key`: config.auth.api_key. `api-key`: a key from the database.
   * `anonymous`: anyone, on an open install (no key configured anywhere).
   */
  kind: 'admin-key' | 'shared-key' | 'api-key' | 'anonymous';
  role: ApiKeyRole;
  /** The database key's id; null for the keys from config and for the anonymous caller. */
  keyId: string | null;
  /** The key's own requests-per-minute limit; null: the configured default. */
  rateLimitPerMinute: number | null;
  /** The key's budget and spend when it was looked up; null when it has none. */
  budget: KeyBudget | null;
}
