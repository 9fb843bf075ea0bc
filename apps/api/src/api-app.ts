import { type AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { logDestination } from '@switchboard/config';
import { type SwitchboardConfig } from '@switchboard/contracts';
import { pino, type Logger } from 'pino';
import { type ApiDeps } from './api-deps.js';
import { ApiModule } from './api.module.js';
import { installHttpHooks, requestId } from './common/http-hooks.js';
import { NestPinoLogger } from './common/nest-pino-logger.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupOpenApi } from './openapi/openapi.setup.js';
import { registerWebApp } from './web/web-app.routes.js';
import { registerQueueBoard } from './queues/queue-board.routes.js';
import { QueuesService } from './queues/queues.service.js';

/** The app's logger when the caller brings none. Redaction is a second line of defence: nothing logs headers. */
export function createApiLogger(config: SwitchboardConfig): Logger {
  const options = {
    level: config.log_level,
    base: { app: 'api' },
    redact: { paths: ['authorization', '*.authorization', '*.headers.authorization', 'key', '*.key'], censor: '[redacted]' },
  };
  const destination = logDestination();
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Builds the REST app, initialised (config agents seeded) but not listening: tests and the all-in-one start
 * decide where it listens. Closing the app leaves the database and Redis client open; they belong to the caller.
 * socket.io (run notifications, /socket.io) rides on the same HTTP server with Redis connections of its own to
 * config.redis.url, which the app opens at init and closes with itself.
 */
export async function createApiApp(deps: ApiDeps): Promise<NestFastifyApplication> {
  const { config, db, redis } = deps;
  const logger = deps.logger ?? createApiLogger(config);
  const metrics = new MetricsService();
  const adapter = new FastifyAdapter({
    bodyLimit: Math.floor(config.server.body_limit_mb * 1024 * 1024),
    genReqId: requestId,
    logger: false,
  });
  installHttpHooks(adapter.getInstance(), { logger, metrics });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register({ config, db, redis, logger, metrics, models: deps.configPath ? { configPath: deps.configPath } : {}, authenticator: deps.authenticator, gatewayPort: deps.gatewayPort }), adapter, {
    logger: new NestPinoLogger(logger),
    // Throw instead of exiting the process: the caller may be a test or the all-in-one start.
    abortOnError: false,
  });
  setupOpenApi(app);
  registerQueueBoard(adapter.getInstance(), app.get(QueuesService).client);
  registerWebApp(adapter.getInstance(), deps.webDir);
  await app.init();
  return app;
}

export interface RunningApi {
  app: NestFastifyApplication;
  /** Where it listens, e.g. `http://127.0.0.1:8000`. */
  url: string;
  close(): Promise<void>;
}

/** Creates the app and listens on config.server.host:api_port (port 0 picks a free one). */
export async function startApi(deps: ApiDeps): Promise<RunningApi> {
  const app = await createApiApp(deps);
  const { host, api_port: port } = deps.config.server;
  await app.listen({ host, port }).catch(async (error: unknown) => {
    // A taken port: close what init opened (socket.io's Redis connections) so the caller can exit cleanly.
    await app.close().catch(() => undefined);
    throw error;
  });
  const address = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://${urlHost(host)}:${address.port}`, close: () => app.close() };
}

/** A wildcard bind is reached on loopback; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
