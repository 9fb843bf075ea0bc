import { type ChatCompletionRequest, type ChatRunJob, ModelCatalog, type RunEvent, type SwitchboardConfig } from '@switchboard/contracts';
import { AgentDirectory, type AgentsRepository, type ApiKeysRepository, newId } from '@switchboard/db';
import {
  connectRedis,
  createRedis,
  CLIENT_DISCONNECTED,
  type FollowSubscription,
  InlineRunLedger,
  listenForCancels,
  publishCancel,
  RedisOutageError,
  redisKeys,
  RunEventHub,
  RunLostError,
  RunQueue,
  type RunSubscription,
} from '@switchboard/queue';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ProviderRegistry, resolveTarget, type RunTarget } from '@switchboard/runs';
import { AuthError, Authenticator, type Principal } from '@switchboard/auth';
import { ChunkRenderer, CompletionAccumulator } from './chunk-renderer.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { InlineOpenError, InlineRuns } from './inline-runs.js';
import { budgetRefusal } from './key-budget.js';
import { OpenAIError } from './openai-error.js';
import { RateLimiter } from './rate-limiter.js';
import { readBody } from './read-body.js';
import { parseChatRequest } from './validation.js';

export interface GatewayOptions {
  config: SwitchboardConfig;
  /** API keys from the database; null runs with only the configured admin / shared keys. */
  apiKeys: ApiKeysRepository | null;
  /** Agents made or edited through the admin API, listed and accepted beside the config's; null: config only. */
  agents?: AgentsRepository | null;
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

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID, X-Conversation-Id, X-OpenWebUI-Chat-Id',
  'Access-Control-Expose-Headers': 'X-Run-Id',
};

interface OpenStream {
  res: ServerResponse;
  runId: string;
  lastWrite: number;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const keys = redisKeys(config.redis.prefix);
  const cmd = createRedis(config.redis.url, 'gateway');
  const sub = createRedis(config.redis.url, 'gateway-sub');
  // BullMQ defines dozens of Lua commands on its connection, and ioredis copies all of them into every
  // auto-pipeline it builds (one per event-loop turn): the queue gets a connection without auto-pipelining.
  const queueConnection = createRedis(config.redis.url, 'gateway-queue', { enableAutoPipelining: false });
  // Each inline run's first content is written here, at once (see RunEventWriter `urgent`).
  const urgent = createRedis(config.redis.url, 'gateway-urgent', { enableAutoPipelining: false });
  await Promise.all([cmd, sub, queueConnection, urgent].map((c) => connectRedis(c, config.redis.url)));
  // Once connected, commands fail fast while Redis is away: the gateway answers 503 instead of hanging.
  cmd.options.enableOfflineQueue = false;
  queueConnection.options.enableOfflineQueue = false;
  urgent.options.enableOfflineQueue = false;

  const hub = new RunEventHub(sub, cmd, keys, newId(), { outageGraceMs: config.server.redis_outage_grace_ms });
  await hub.start();
  const runQueue = new RunQueue(queueConnection, keys, config.queue);
  const registry = new ProviderRegistry(config, logger);
  const inline = new InlineRuns({
    config,
    registry,
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
  let catalog = new ModelCatalog(config);
  const agentDirectory = new AgentDirectory(options.agents ?? null, config.agents, logger);
  await agentDirectory.start((agents) => {
    catalog = new ModelCatalog({ ...config, agents: [...agents] });
  });
  const auth =
    options.authenticator ??
    new Authenticator({
      keys: options.apiKeys,
      adminKey: config.auth.admin_key,
      sharedKey: config.auth.api_key,
      ttlMs: config.auth.cache_ttl_ms,
      logger,
    });
  const limiter = config.rate_limit.enabled ? new RateLimiter(config.rate_limit.requests_per_minute) : null;
  const metrics = new GatewayMetrics();
  const bodyLimit = Math.floor(config.server.body_limit_mb * 1024 * 1024);
  const heartbeatMs = config.server.heartbeat_ms;
  const openStreams = new Set<OpenStream>();
  let draining = false;

  if (await auth.isOpen()) {
    logger.warn('no API keys configured: /v1 is open to anyone who can reach it (set SWITCHBOARD_API_KEY or create keys)');
  }

  // One timer for all streams: a `: ping` comment to every stream that has been silent for heartbeat_ms.
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const s of openStreams) {
      if (now - s.lastWrite >= heartbeatMs) {
        startSse(s.res, s.runId, false);
        s.res.write(': ping\n\n');
        s.lastWrite = now;
      }
    }
  }, Math.max(25, Math.floor(heartbeatMs / 4)));
  heartbeat.unref();

  const sendJson = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...CORS_HEADERS, ...headers });
    res.end(body);
  };

  const sendError = (res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void => {
    const e = error instanceof OpenAIError ? error : internalError(error, logger);
    metrics.errors.inc({ status: String(e.status) });
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, e.status, JSON.stringify(e.toBody()), e.retryAfter ? { ...headers, 'Retry-After': String(e.retryAfter) } : headers);
  };

  const authenticate = async (req: IncomingMessage): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await auth.authenticate(req.headers.authorization);
    } catch (error) {
      if (error instanceof AuthError) throw new OpenAIError(error.status, error.message, error.type, error.code);
      logger.error({ err: error }, 'API key lookup failed');
      throw OpenAIError.unavailable('The key store is unavailable; try again shortly.');
    }
    const wait = limiter?.take(principal.keyId ?? principal.role, principal.rateLimitPerMinute);
    if (wait) throw OpenAIError.rateLimited(`Rate limit reached for this key; try again in ${wait} s.`, wait);
    return principal;
  };

  const redisReady = (): void => {
    if (queueConnection.status !== 'ready' || sub.status !== 'ready') {
      throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
    }
  };

  /** Relays a run's events to `res` as SSE until its terminal event or until the client leaves. */
  const relay = (
    res: ServerResponse,
    runId: string,
    /** null: a run this gateway is about to enqueue (events come on its reply channel); else resume after this seq. */
    afterSeq: number | null,
    renderer: ChunkRenderer,
    onClientGone: () => void,
  ): RunSubscription => {
    const stream: OpenStream = { res, runId, lastWrite: Date.now() };
    openStreams.add(stream);
    metrics.openStreams.inc();
    let finished = false;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      res.uncork();
    };
    const end = (): void => {
      if (finished) return;
      finished = true;
      openStreams.delete(stream);
      metrics.openStreams.dec();
    };
    const onEvent = (seq: number, event: RunEvent): void => {
      const text = renderer.render(seq, event);
      // The head leaves with the first text (one socket write); an event with none (`start`) leaves it waiting.
      startSse(res, runId, false);
      if (text) {
        // Events that arrive together (one read from Redis) leave in one socket write.
        if (!corked) {
          corked = true;
          res.cork();
          process.nextTick(uncork);
        }
        res.write(text);
        stream.lastWrite = Date.now();
      }
      if (text.endsWith('[DONE]\n\n')) {
        end();
        res.end();
      }
    };
    const onError = (error: unknown): void => {
      logger.error({ err: error, runId }, 'run event subscription failed');
      if (!finished) {
        startSse(res, runId);
        res.write(`data: ${JSON.stringify(followFailure(error, runId).toBody())}\n\ndata: [DONE]\n\n`);
        end();
        res.end();
      }
    };
    const subscription = afterSeq === null ? hub.follow(runId, onEvent, onError) : hub.subscribe(runId, afterSeq, onEvent, onError);
    res.on('close', () => {
      if (finished) return;
      end();
      subscription.unsubscribe();
      onClientGone();
    });
    return subscription;
  };

  const chatCompletions = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const principal = await authenticate(req);
    const refusal = budgetRefusal(principal.budget);
    if (refusal) throw new OpenAIError(429, refusal.message, 'insufficient_quota', 'budget_exceeded', null, refusal.retryAfter);
    const body = await readBody(req, bodyLimit);
    const request = parseChatRequest(body);
    if (!catalog.resolve(request.model)) {
      throw OpenAIError.notFound(`The model \`${request.model}\` does not exist. GET /v1/models lists the models.`, 'model_not_found');
    }
    redisReady();
    const runId = newId();
    const created = Math.floor(Date.now() / 1000);
    const stream = request.stream === true;
    const job: ChatRunJob = {
      runId,
      created,
      apiKeyId: principal.keyId,
      conversationId: header(req, 'x-conversation-id'),
      externalConversationId: header(req, 'x-openwebui-chat-id'),
      mode: stream ? 'stream' : 'json',
      replyTo: hub.replyChannel,
      request,
      handoff: false,
    };
    metrics.runs.inc({ mode: job.mode });
    const target = inlineTarget(request.model);
    const cancel = (): void => {
      // A run handed from this gateway to a worker is cancelled like any queued one.
      if (target && inline.cancel(runId, CLIENT_DISCONNECTED)) return;
      publishCancel(cmd, keys, runId, CLIENT_DISCONNECTED).catch(() => undefined);
    };
    // Run here (fed by its own writer) or enqueue (fed by the reply channel); the subscription covers both.
    const begin = (subscription: FollowSubscription): Promise<void> => (target ? startInline(job, target, subscription) : enqueue(job));
    if (stream) {
      const renderer = new ChunkRenderer(runId, request.model, created, request.stream_options?.include_usage === true);
      // Follow first, then enqueue: the reply channel is already subscribed, so no event can be missed.
      const subscription = relay(res, runId, null, renderer, cancel) as FollowSubscription;
      try {
        await begin(subscription);
      } catch (error) {
        subscription.unsubscribe();
        throw error;
      }
      // A queued run may wait for a worker: its client gets the head (and X-Run-Id) now. A run this gateway runs
      // sends it with its first text, one socket write fewer (the heartbeat sends it if the provider is slow).
      if (!target) startSse(res, runId);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const acc = new CompletionAccumulator();
      let done = false;
      const subscription = hub.follow(
        runId,
        (_seq, event) => {
          acc.add(event);
          const result = completionResult(event, acc, runId, request, created);
          if (!result) return;
          done = true;
          if (result instanceof OpenAIError) sendError(res, result, { 'X-Run-Id': runId });
          else sendJson(res, 200, JSON.stringify(result), { 'X-Run-Id': runId });
          resolve();
        },
        (error) => {
          done = true;
          logger.error({ err: error, runId }, 'run event subscription failed');
          sendError(res, followFailure(error, runId), { 'X-Run-Id': runId });
          resolve();
        },
      );
      res.on('close', () => {
        if (done) return;
        subscription.unsubscribe();
        cancel();
        resolve();
      });
      begin(subscription).catch((error: unknown) => {
        subscription.unsubscribe();
        reject(error);
      });
    });
  };

  /** Where this gateway runs the model itself (see InlineRuns), or null: the run goes through the queue. */
  const inlineTarget = (model: string): RunTarget | null => {
    try {
      const target = resolveTarget(config, catalog, model);
      return inline.accepts(target) ? target : null;
    } catch {
      return null; // an agent made through the API, say: the worker resolves it
    }
  };

  const startInline = async (job: ChatRunJob, target: RunTarget, subscription: FollowSubscription): Promise<void> => {
    try {
      await inline.start(job, target, subscription.push);
    } catch (error) {
      if (error instanceof InlineOpenError) throw OpenAIError.unavailable(error.message);
      throw error;
    }
  };

  const enqueue = async (job: ChatRunJob): Promise<void> => {
    try {
      await withTimeout(runQueue.enqueueChat(job), 1000);
    } catch (error) {
      logger.error({ err: error, runId: job.runId }, 'enqueue failed');
      throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
    }
  };

  const runEvents = async (req: IncomingMessage, res: ServerResponse, runId: string, query: string): Promise<void> => {
    const principal = await authenticate(req);
    redisReady();
    const job = await runQueue.findJob(runId).catch(() => null);
    if (!job || (principal.role !== 'admin' && job.apiKeyId !== principal.keyId)) {
      throw OpenAIError.notFound(`No run \`${runId}\` (or its events have expired).`, 'run_not_found');
    }
    const after = Number(header(req, 'last-event-id') ?? new URLSearchParams(query).get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) throw OpenAIError.invalidRequest('Last-Event-ID must be a non-negative integer.', 'Last-Event-ID');
    const { request, created } = job;
    const renderer = new ChunkRenderer(runId, request.model, created, request.stream_options?.include_usage === true);
    startSse(res, runId);
    // A reconnecting client never cancels the run: it may come back again.
    relay(res, runId, after, renderer, () => undefined);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...CORS_HEADERS, 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' });
      res.end();
      return;
    }
    if (draining && path !== '/healthz' && path !== '/metrics') {
      // Still listening, so a client gets an answer it can act on (retry elsewhere) rather than a refused connection.
      const e = path === '/readyz' ? new OpenAIError(503, 'This gateway is shutting down.', 'service_unavailable', 'shutting_down') : SHUTTING_DOWN;
      return sendError(res, e, { Connection: 'close' });
    }
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (method !== 'POST') throw new OpenAIError(405, 'Use POST for chat completions.', 'invalid_request_error', 'method_not_allowed');
      return chatCompletions(req, res);
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
      await authenticate(req);
      return sendJson(res, 200, catalog.listJson);
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      await authenticate(req);
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const found = (JSON.parse(catalog.listJson) as { data: { id: string }[] }).data.find((m) => m.id === id);
      if (!found) throw OpenAIError.notFound(`The model \`${id}\` does not exist.`, 'model_not_found');
      return sendJson(res, 200, JSON.stringify(found));
    }
    const events = /^\/v1\/runs\/([^/]+)\/events$/.exec(path);
    if (method === 'GET' && events?.[1]) return runEvents(req, res, decodeURIComponent(events[1]), q < 0 ? '' : url.slice(q + 1));
    if (path === '/healthz') return sendJson(res, 200, '{"status":"ok"}');
    if (path === '/readyz') {
      const ok = cmd.status === 'ready' && sub.status === 'ready';
      return sendJson(res, ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'ok' : cmd.status }));
    }
    if (path === '/metrics') {
      const text = await metrics.render(hub.openSubscriptions);
      res.writeHead(200, { 'Content-Type': metrics.contentType });
      res.end(text);
      return;
    }
    throw OpenAIError.notFound(`Unknown route ${method} ${path}.`, 'unknown_url');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => sendError(res, error));
  });
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
      draining = true;
      // Idle keep-alive connections close now; new ones are still accepted and answered 503 until the streams end.
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (openStreams.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Runs this gateway still runs go to workers, which continue them (aborted before their clients are cut
      // off, so they are handed over rather than cancelled as abandoned).
      const handedOver = inline.close();
      for (const s of openStreams) s.res.destroy();
      server.close();
      server.closeAllConnections();
      clearInterval(heartbeat);
      await handedOver;
      await stopCancels().catch(() => undefined);
      await runQueue.close().catch(() => undefined);
      cmd.disconnect();
      sub.disconnect();
      queueConnection.disconnect();
      urgent.disconnect();
    },
  };
}

/**
 * Sets the SSE response head once, whichever comes first: the enqueue's reply, the run's first event or a
 * heartbeat. `flush` sends it at once; otherwise it leaves with the write that follows.
 */
function startSse(res: ServerResponse, runId: string, flush = true): void {
  if (res.headersSent) return;
  res.writeHead(200, { ...SSE_HEADERS, ...CORS_HEADERS, 'X-Run-Id': runId });
  if (flush) res.flushHeaders();
}

const SHUTTING_DOWN = new OpenAIError(503, 'This gateway is shutting down; send the request again to reach another one.', 'service_unavailable', 'shutting_down', null, 1);

/** What a client is told when the run's events can no longer be followed (Redis gone too long, or the run lost). */
function followFailure(error: unknown, runId: string): OpenAIError {
  if (error instanceof RedisOutageError) {
    return new OpenAIError(
      503,
      `The queue (Redis) has been unreachable for more than ${error.graceMs} ms, so this run's outcome is unknown; send the request again. (run ${runId})`,
      'service_unavailable',
      'redis_unavailable',
      null,
      1,
    );
  }
  if (error instanceof RunLostError) {
    return new OpenAIError(
      503,
      `The queue (Redis) restarted without this run's data and no worker continued it; send the request again. (run ${runId})`,
      'service_unavailable',
      'run_lost',
      null,
      1,
    );
  }
  return OpenAIError.unavailable(`Lost the run event stream; resume with GET /v1/runs/${runId}/events.`);
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function internalError(error: unknown, logger: Logger): OpenAIError {
  logger.error({ err: error }, 'unhandled gateway error');
  return new OpenAIError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}

function completionResult(event: RunEvent, acc: CompletionAccumulator, runId: string, request: ChatCompletionRequest, created: number) {
  switch (event.t) {
    case 'finish':
      return acc.build(`chatcmpl-${runId}`, request.model, created, event.reason, event.usage);
    case 'background':
      return acc.build(`chatcmpl-${runId}`, request.model, created, 'stop', { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    case 'error':
      return new OpenAIError(event.status, event.message, event.type, event.code);
    case 'start':
    case 'text':
    case 'reasoning':
    case 'tool':
      return null;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        // After a long event-loop stall timers run before pending I/O: give the reply one turn to land first.
        timer = setTimeout(() => setImmediate(() => reject(new Error(`timed out after ${ms} ms`))), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
