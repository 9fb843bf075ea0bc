import { type Server as HttpServer } from 'node:http';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createAdapter } from '@socket.io/redis-adapter';
import { AuthError } from '@switchboard/auth';
import {
  conversationSubscriptionSchema,
  MODELS_ROOM,
  notificationRooms,
  type SubscriptionAck,
  type SwitchboardConfig,
} from '@switchboard/contracts';
import { createRedis, redactRedisUrl, type Redis, redisKeys } from '@switchboard/queue';
import { type Logger } from 'pino';
import { type DefaultEventsMap, type ExtendedError, Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { API_CONFIG, LOGGER } from '../api.tokens.js';
import { type Principal } from '../auth/principal.js';
import { type HandshakeCredentials, NotificationsService } from './notifications.service.js';

/** socket.io's path on the api's port, next to /api. */
export const NOTIFICATIONS_PATH = '/socket.io';

/** How long the start waits for the adapter's subscriptions before it goes on without them (Redis down). */
const SUBSCRIBE_WAIT_MS = 3000;

interface SocketData {
  principal: Principal;
  /** Checked again while the socket is open, so a revoked key's sockets are closed. */
  credentials: HandshakeCredentials;
}

/** How often open sockets' keys are checked again; the Authenticator's cache makes each check a Map lookup. */
const RECHECK_MAX_MS = 1000;
type NotificationSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;

/** `auth` of the handshake: only `token` is read, and it must be the key itself. */
const handshakeAuthSchema = z.object({ token: z.string().regex(/^\S+$/).optional() });
const BAD_AUTH_TOKEN = 'auth.token must be the API key, a string without spaces: io(url, { auth: { token: "<key>" } })';

/**
 * socket.io on the api's own HTTP server, for run notifications. Workers publish through the socket.io Redis
 * emitter (RunNotifier in libs/queue) and this server's Redis adapter, listening on the same key, delivers to
 * its sockets in the target rooms, so any number of api instances serve clients side by side.
 *
 * Plain socket.io rather than @nestjs/websockets: @nestjs/platform-socket.io 12 pins socket.io 4.8.3 exactly,
 * a second copy beside the project's 4.8.4, and a Nest gateway's guards do not run at the handshake, which is
 * where a key is checked here. Attaching the server in a provider keeps Nest's injection and lifecycle.
 */
@Injectable()
export class NotificationsServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private io: Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData> | undefined;
  private readonly redisClients: Redis[] = [];
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly notifications: NotificationsService,
    @Inject(API_CONFIG) private readonly config: SwitchboardConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { url, prefix } = this.config.redis;
    // Dedicated connections: the adapter's subscriber cannot run commands, and the app's own client (if any)
    // fails fast while Redis is away, where these should queue and resubscribe when it is back.
    const pub = createRedis(url, 'api-socket.io-pub');
    const sub = createRedis(url, 'api-socket.io-sub', { enableAutoPipelining: false });
    this.redisClients.push(pub, sub);
    const httpServer = this.adapterHost.httpAdapter.getHttpServer() as HttpServer;
    const io = new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>(httpServer, {
      path: NOTIFICATIONS_PATH,
      serveClient: false,
      adapter: createAdapter(pub, sub, { key: redisKeys(prefix).socketIoKey() }),
    });
    io.use((socket, next) => void this.authenticate(socket, next));
    io.on('connection', (socket) => this.onConnection(socket));
    this.io = io;
    // A key revoked while its sockets are open: they close once the cache lets the revocation through
    // (at once when revoked through this instance, within auth.cache_ttl_ms otherwise).
    this.recheckTimer = setInterval(() => void this.recheckKeys(), Math.min(RECHECK_MAX_MS, this.config.auth.cache_ttl_ms));
    this.recheckTimer.unref();
    if (!(await subscribed(sub))) {
      this.logger.warn(
        { url: redactRedisUrl(url) },
        'socket.io: Redis is not answering; run notifications from workers reach clients once it is back',
      );
    }
  }

  /** Before the HTTP server closes: its close would wait for the open websockets otherwise. */
  beforeApplicationShutdown(): void {
    clearInterval(this.recheckTimer);
    const io = this.io;
    this.io = undefined;
    if (io) {
      // Only this instance's sockets: a broadcast disconnect would go through Redis to every instance.
      for (const socket of io.of('/').sockets.values()) socket.disconnect(true);
      // Not io.close(): it would close the HTTP server, which belongs to Fastify.
      io.engine.close();
    }
    // Dropping the connections ends the adapter's subscriptions too.
    for (const redis of this.redisClients.splice(0)) redis.disconnect();
  }

  private async authenticate(socket: NotificationSocket, next: (err?: ExtendedError) => void): Promise<void> {
    const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return next(connectError(BAD_AUTH_TOKEN));
    const token = auth.data.token;
    const authorization = socket.handshake.headers.authorization;
    try {
      socket.data.credentials = { token, authorization };
      socket.data.principal = await this.notifications.authenticate(socket.data.credentials);
      next();
    } catch (error) {
      if (error instanceof AuthError) {
        const missing = token === undefined && authorization === undefined;
        return next(
          connectError(missing ? 'Missing API key: connect with auth: { token: "<key>" } or an "Authorization: Bearer <key>" header' : error.message),
        );
      }
      this.logger.error({ err: error }, 'socket.io: could not check an API key');
      next(connectError('Could not check the API key right now; try again', 'server_error'));
    }
  }

  /** Disconnects the sockets whose key no longer authenticates (revoked, or the install closed). */
  private async recheckKeys(): Promise<void> {
    const sockets = [...(this.io?.of('/').sockets.values() ?? [])];
    for (const socket of sockets) {
      try {
        await this.notifications.authenticate(socket.data.credentials);
      } catch (error) {
        // Only a refused key ends a socket; a key store that is down for a moment does not.
        if (!(error instanceof AuthError)) continue;
        this.logger.info({ keyId: socket.data.principal.keyId, reason: error.code }, 'socket.io: closing a socket whose key no longer works');
        socket.disconnect(true);
      }
    }
  }

  private onConnection(socket: NotificationSocket): void {
    const { principal } = socket.data;
    void socket.join([this.notifications.keyRoom(principal), MODELS_ROOM]);
    socket.on('subscribe', (...args: unknown[]) => void this.onSubscribe(socket, args));
    socket.on('unsubscribe', (...args: unknown[]) => void this.onUnsubscribe(socket, args));
    this.logger.debug({ keyId: principal.keyId, kind: principal.kind }, 'socket.io client connected');
  }

  /** `subscribe { conversationId }`: join the conversation's room if the key may read it. */
  private async onSubscribe(socket: NotificationSocket, args: unknown[]): Promise<void> {
    const { payload, ack } = splitAck(args);
    const request = conversationSubscriptionSchema.safeParse(payload);
    if (!request.success) return ack(badPayload('subscribe'));
    const { conversationId } = request.data;
    try {
      const room = await this.notifications.conversationRoom(socket.data.principal, conversationId.toLowerCase());
      if (!room) return ack({ ok: false, error: `Conversation ${conversationId} not found` });
      // The client may have gone while the database answered; a room joined now would never be left.
      if (!socket.connected) return;
      await socket.join(room);
      ack({ ok: true });
    } catch (error) {
      this.logger.error({ err: error, conversationId }, 'socket.io: subscribe failed');
      ack({ ok: false, error: 'Could not check the conversation right now; try again' });
    }
  }

  /** `unsubscribe { conversationId }`: leave the room; leaving one never joined is fine too. */
  private async onUnsubscribe(socket: NotificationSocket, args: unknown[]): Promise<void> {
    const { payload, ack } = splitAck(args);
    const request = conversationSubscriptionSchema.safeParse(payload);
    if (!request.success) return ack(badPayload('unsubscribe'));
    await socket.leave(notificationRooms.conversation(request.data.conversationId.toLowerCase()));
    ack({ ok: true });
  }
}

/** The handshake's refusal: the client's `connect_error` carries the message, and `data.type` to branch on. */
function connectError(message: string, type: 'authentication_error' | 'server_error' = 'authentication_error'): ExtendedError {
  return Object.assign(new Error(message), { data: { type } });
}

function badPayload(event: string): SubscriptionAck {
  return { ok: false, error: `${event} expects { conversationId: "<conversation id>" } and an ack callback` };
}

/** The event's payload and its ack callback, which a client may leave out (then nobody hears the answer). */
function splitAck(args: unknown[]): { payload: unknown; ack: (answer: SubscriptionAck) => void } {
  const last = args.at(-1);
  if (typeof last !== 'function') return { payload: args[0], ack: () => undefined };
  return { payload: args.length > 1 ? args[0] : undefined, ack: last as (answer: SubscriptionAck) => void };
}

/**
 * Waits until the subscriber connection answers a PING, which Redis handles after the adapter's (p)subscribe
 * commands sent before it: then a notification published from now on is heard. Gives up on the first
 * connection error or after SUBSCRIBE_WAIT_MS, so a down Redis does not hold up the start.
 */
function subscribed(sub: Redis): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sub.off('error', failed);
      resolve(ok);
    };
    const failed = (): void => done(false);
    const timer = setTimeout(failed, SUBSCRIBE_WAIT_MS);
    sub.once('error', failed);
    sub.ping().then(
      () => done(true),
      () => done(false),
    );
  });
}
