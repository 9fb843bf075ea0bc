import { ModelCatalog, type SwitchboardConfig } from '@switchboard/contracts';
import { AgentDirectory, type AgentsRepository, type ApiKeysRepository, newId, PipelineDirectory, type PipelinesRepository } from '@switchboard/db';
import { connectRedis, createRedis, InlineRunLedger, listenForCancels, type Redis, redisKeys, RunEventHub, RunQueue } from '@switchboard/queue';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ModelRouter, ProviderRegistry, ResponseCache } from '@switchboard/runs';
import { AuthError, Authenticator, type Principal } from '@switchboard/auth';
import { chatCompletionsHandler } from './chat-completions.js';
import { parseAdhocPipelineRequest } from './adhoc-pipeline.js';
import type { GatewayContext } from './gateway-context.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { tracedRequests } from './request-span.js';
import { gatewayRoutes } from './gateway-routes.js';
import { InlineRuns } from './inline-runs.js';
import { OpenAIError } from './openai-error.js';
import { errorSender } from './responses.js';
import { SseRelay } from './sse-relay.js';

export interface GatewayOptions {
  config: SwitchboardConfig;
  /** API keys from the database; null runs with only the configured admin / shared keys. */
  apiKeys: ApiKeysRepository | null;
  /** Agents made or edited through the admin API, listed and accepted beside the config's; null: config only. */
  agents?: AgentsRepository | null;
  /** Pipelines saved through the API (POST /api/pipelines), listed and callable beside the config's; null: config only. */
  pipelines?: PipelinesRepository | null;
  /** Shared with the api in one process (one cache, revocations seen at once); default: one of its own. */
  authenticator?: Authenticator;
  logger: Logger;
  /** Listen here instead of config.server (tests use port 0). */
  port?: number;
  host?: string;
}

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  /**
   * Drains: for up to `graceMs` it keeps listening but answers new requests 503 `shutting_down` (with
   * `Connection: close`, so clients and load balancers move on) while open streams finish; then closes everything.
   */
  close(graceMs?: number): Promise<void>;
}

/** The gateway's Redis connections, each with its own job. */
async function openConnections(url: string): Promise<{ cmd: Redis; sub: Redis; queue: Redis; urgent: Redis; all: Redis[] }> {
  const cmd = createRedis(url, 'gateway');
  const sub = createRedis(url, 'gateway-sub');
  // BullMQ defines dozens of Lua commands on its connection, and ioredis copies all of them into every
  // auto-pipeline it builds (one per event-loop turn): the queue gets a connection without auto-pipelining.
  const queue = createRedis(url, 'gateway-queue', { enableAutoPipelining: false });
  // Each inline run's first content is written here, at once (see RunEventWriter `urgent`).
  const urgent = createRedis(url, 'gateway-urgent', { enableAutoPipelining: false });
  const all = [cmd, sub, queue, urgent];
  await Promise.all(all.map((c) => connectRedis(c, url)));
  // Once connected, commands fail fast while Redis is away: the gateway answers 503 instead of hanging.
  for (const c of [cmd, queue, urgent]) c.options.enableOfflineQueue = false;
  return { cmd, sub, queue, urgent, all };
}

/**
 * Starts the OpenAI-compatible gateway: its connections and shared parts (router, cache, inline runs, SSE
 * relay), the routes (gateway-routes.ts, chat-completions.ts), and the drain on close.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const keys = redisKeys(config.redis.prefix);
  const connections = await openConnections(config.redis.url);
  const { cmd, sub, urgent } = connections;

  const hub = new RunEventHub(sub, cmd, keys, newId(), { outageGraceMs: config.server.redis_outage_grace_ms });
  await hub.start();
  const runQueue = new RunQueue(connections.queue, keys, config.queue);
  const registry = new ProviderRegistry(config, logger);
  // The gateway routes its inline runs itself: circuits, provider limits and probes are shared through Redis.
  const metrics = new GatewayMetrics();
  const router = new ModelRouter({ config, registry, redis: cmd, sub, keys, logger, metrics: metrics.registry });
  await router.start();
  const cache = new ResponseCache(config.cache, cmd, keys);
  const inline = new InlineRuns({
    config,
    registry,
    router,
    cache,
    redis: cmd,
    urgent,
    keys,
    ledger: new InlineRunLedger(cmd, keys, config.queue.lock_ms, config.queue.events_ttl_seconds),
    runQueue,
    logger,
  });
  // Cancels (the owner through the API, an admin) reach the runs this gateway runs itself.
  const stopCancels = await listenForCancels(sub, keys, (runId, reason) => {
    if (inline.cancel(runId, reason)) logger.info({ runId, reason }, 'cancelling run');
  });
  // What clients can call right now: the config's agents and pipelines with those made through the API.
  let live = config;
  let catalog = new ModelCatalog(config);
  const agentDirectory = new AgentDirectory(options.agents ?? null, config.agents, logger);
  const pipelineDirectory = new PipelineDirectory(options.pipelines ?? null, config.pipelines, logger);
  const rebuild = (): void => {
    live = { ...config, agents: [...agentDirectory.current], pipelines: [...pipelineDirectory.current] };
    catalog = new ModelCatalog(live);
  };
  await agentDirectory.start(rebuild);
  await pipelineDirectory.start(rebuild);
  const auth =
    options.authenticator ??
    new Authenticator({
      keys: options.apiKeys,
      adminKey: config.auth.admin_key,
      sharedKey: config.auth.api_key,
      ttlMs: config.auth.cache_ttl_ms,
      logger,
    });
  const relay = new SseRelay(hub, metrics, logger, config.server.heartbeat_ms);
  let draining = false;

  if (await auth.isOpen()) {
    logger.warn('no API keys configured: /v1 is open to anyone who can reach it (set SWITCHBOARD_API_KEY or create keys)');
  }

  const authenticate = async (req: IncomingMessage): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await auth.authenticate(req.headers.authorization);
    } catch (error) {
      if (error instanceof AuthError) throw new OpenAIError(error.status, error.message, error.type, error.code);
      logger.error({ err: error }, 'API key lookup failed');
      throw OpenAIError.unavailable('The key store is unavailable; try again shortly.');
    }
    return principal;
  };

  const ctx: GatewayContext = {
    config,
    logger,
    keys,
    cmd,
    sub,
    hub,
    runQueue,
    router,
    cache,
    inline,
    metrics,
    relay,
    sendError: errorSender(metrics, logger),
    catalog: () => catalog,
    liveConfig: () => live,
    authenticate,
    redisReady: () => {
      if (connections.queue.status !== 'ready' || sub.status !== 'ready') {
        throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
      }
    },
  };
  const route = gatewayRoutes(ctx, chatCompletionsHandler(ctx), chatCompletionsHandler(ctx, parseAdhocPipelineRequest), () => draining);

  const server = createServer(
    tracedRequests((req, res) => {
      route(req, res).catch((error: unknown) => ctx.sendError(res, error));
    }),
  );
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  server.requestTimeout = 0; // streams may last as long as a run does; heartbeats keep them alive

  const host = options.host ?? config.server.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.server.gateway_port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, models: catalog.size }, 'gateway listening');

  return {
    url,
    port,
    server,
    async close(graceMs = config.server.shutdown_grace_ms) {
      agentDirectory.close();
      pipelineDirectory.close();
      draining = true;
      // Idle keep-alive connections close now; new ones are still accepted and answered 503 until the streams end.
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (relay.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Runs this gateway still runs go to workers, which continue them (aborted before their clients are cut
      // off, so they are handed over rather than cancelled as abandoned).
      const handedOver = inline.close();
      relay.close();
      server.close();
      server.closeAllConnections();
      await handedOver;
      await stopCancels().catch(() => undefined);
      await runQueue.close().catch(() => undefined);
      router.stop();
      for (const c of connections.all) c.disconnect();
    },
  };
}
