import { Inject, Injectable } from '@nestjs/common';
import { notificationRooms } from '@switchboard/contracts';
import { type ConversationsRepository } from '@switchboard/db';
import { CONVERSATIONS_REPOSITORY } from '../api.tokens.js';
import { AuthService } from '../auth/auth.service.js';
import { ownerScope, type Principal } from '../auth/principal.js';

/** The credentials a socket.io handshake may carry, read by the server; either may be absent. */
export interface HandshakeCredentials {
  /** `auth: { token }` of socket.io-client: the API key itself. */
  token: string | undefined;
  /** The `Authorization` header (`Bearer <key>`), for clients that can set headers. */
  authorization: string | undefined;
}

/**
 * Who may listen to what. The same keys and rules as the REST API: a socket authenticates like a request, hears
 * the runs of its own key, and joins a conversation's room only if it could read that conversation over REST.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly auth: AuthService,
    @Inject(CONVERSATIONS_REPOSITORY) private readonly conversations: ConversationsRepository,
  ) {}

  /** The caller, or an ApiError (401) that names what is wrong with the key. */
  authenticate(credentials: HandshakeCredentials): Promise<Principal> {
    const authorization = credentials.token !== undefined ? `Bearer ${credentials.token}` : credentials.authorization;
    return this.auth.authenticate(authorization);
  }

  /**
   * The room every socket joins at connect. The keys from config (and the anonymous owner of an open install)
   * have no key id and own the rows without one, so they share `key:open`, as they share those rows over REST.
   */
  keyRoom(principal: Principal): string {
    return notificationRooms.key(principal.keyId);
  }

  /** The conversation's room, or null when the caller may not read the conversation (or it does not exist). */
  async conversationRoom(principal: Principal, conversationId: string): Promise<string | null> {
    const row = await this.conversations.get(conversationId, ownerScope(principal));
    return row ? notificationRooms.conversation(row.id) : null;
  }
}
