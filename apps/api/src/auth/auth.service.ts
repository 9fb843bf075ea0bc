import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { hashApiKey, type SwitchboardConfig } from '@switchboard/contracts';
import { type Logger } from 'pino';
import { API_CONFIG, LOGGER } from '../api.tokens.js';
import { ApiError } from '../common/api-error.js';
import { ApiKeyLookup } from './api-key-lookup.js';
import { type Principal } from './principal.js';
import { secretsEqual } from '@switchboard/contracts';

const ANONYMOUS: Principal = { kind: 'anonymous', role: 'admin', keyId: null };

/**
 * Turns an `Authorization` header into a Principal. The config admin key is admin; config.auth.api_key is a
 * user; database keys carry their own role. An install with no key anywhere is open: requests without a key
 * act as one anonymous owner with every right (a single-user laptop has nobody else to keep out).
 */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  constructor(
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    private readonly lookup: ApiKeyLookup,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.isOpen()) {
      this.logger.warn(
        'AUTHENTICATION IS OFF: no admin key, no api key and no API keys exist, so anyone who can reach this ' +
          'port has full access. Set SWITCHBOARD_ADMIN_KEY (or auth.admin_key) for anything but a private laptop.',
      );
    }
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const secret = bearerToken(authorization);
    if (secret === undefined) {
      if (await this.isOpen()) return ANONYMOUS;
      throw ApiError.unauthorized('Missing API key: send it as "Authorization: Bearer <key>"');
    }
    const { admin_key: adminKey, api_key: sharedKey } = this.config.auth;
    if (adminKey !== undefined && secretsEqual(secret, adminKey)) return { kind: 'admin-key', role: 'admin', keyId: null };
    if (sharedKey !== undefined && secretsEqual(secret, sharedKey)) return { kind: 'shared-key', role: 'user', keyId: null };
    const row = await this.lookup.findByHash(hashApiKey(secret));
    if (!row || row.revokedAt) throw ApiError.unauthorized('Invalid or revoked API key');
    return { kind: 'api-key', role: row.role, keyId: row.id };
  }

  /** No key anywhere: every request acts as the anonymous admin. */
  async isOpen(): Promise<boolean> {
    const { admin_key: adminKey, api_key: sharedKey } = this.config.auth;
    return adminKey === undefined && sharedKey === undefined && !(await this.lookup.anyKeys());
  }
}

/** The key of `Bearer <key>`; undefined without a header; a 401 for any other scheme or an empty key. */
function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw ApiError.unauthorized('Malformed Authorization header: expected "Bearer <key>"');
  return match[1];
}
