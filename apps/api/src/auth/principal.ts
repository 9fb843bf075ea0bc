import { type Principal } from '@switchboard/auth';

export type { Principal };

/**
 * The owner filter for repositories: admins see every owner's rows (`undefined`), everyone else only rows
 * owned by their key (the keys from config and the anonymous caller own the rows without a key id).
 */
export function ownerScope(principal: Principal): string | null | undefined {
  return principal.role === 'admin' ? undefined : principal.keyId;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
