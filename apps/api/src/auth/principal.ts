import { type ApiKeyRole } from '@switchboard/db';

/** Who is calling, as the auth guard established it. */
export interface Principal {
  /**
   * `admin-key`: config.auth.admin_key. `api-key`: a key from the database. `shared-key`: config.auth.api_key.
   * `anonymous`: no key on an install that has none configured (single-user laptop).
   */
  kind: 'admin-key' | 'api-key' | 'shared-key' | 'anonymous';
  role: ApiKeyRole;
  /** The database key's id; null for the keys from config and for the anonymous owner. */
  keyId: string | null;
}

/**
 * The owner filter for repositories: admins see every owner's rows (`undefined`), everyone else only rows
 * owned by their key (the keys from config own the rows without a key id).
 */
export function ownerScope(principal: Principal): string | null | undefined {
  return principal.role === 'admin' ? undefined : principal.keyId;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
