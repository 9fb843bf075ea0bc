import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Authenticator } from '@switchboard/auth';
import { type Logger } from 'pino';
import { AUTHENTICATOR, LOGGER } from '../api.tokens.js';
import { type Principal } from './principal.js';

/** How the app holds the one Authenticator (libs/auth): its own, or the one the all-in-one start shares. */
export interface AuthenticatorHandle {
  authenticator: Authenticator;
  /** Whether this app made it, and so writes its pending last-used times at shutdown. */
  owned: boolean;
}

/** The API's side of libs/auth's Authenticator: the same rules as /v1 and socket.io (see Authenticator). */
@Injectable()
export class AuthService implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(AUTHENTICATOR) private readonly handle: AuthenticatorHandle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.handle.authenticator.isOpen()) {
      this.logger.warn(
        'AUTHENTICATION IS OFF: no admin key, no api key and no API keys exist, so anyone who can reach this ' +
          'port can use it (admin routes stay closed). Set SWITCHBOARD_ADMIN_KEY (or auth.admin_key) for anything but a private laptop.',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.handle.owned) await this.handle.authenticator.close();
  }

  /** The caller, or an AuthError (401) saying what is wrong with the key. */
  authenticate(authorization: string | undefined): Promise<Principal> {
    return this.handle.authenticator.authenticate(authorization);
  }

  /** Throws an AuthError unless the caller is an admin. */
  requireAdmin(principal: Principal): void {
    this.handle.authenticator.requireAdmin(principal);
  }

  /** After this process created or revoked a key, so the change applies here at once. */
  invalidate(hash: string): void {
    this.handle.authenticator.invalidate(hash);
  }

  /** No key anywhere (see Authenticator.isOpen): the web app then asks for none. */
  isOpen(): Promise<boolean> {
    return this.handle.authenticator.isOpen();
  }
}
