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
import {
  type CachedAnswer,
  formatResetDuration,
  ModelRouter,
  ProviderRegistry,
  type RateDecision,
  resolveTarget,
  ResponseCache,
  type RunTarget,
} from '@switchboard/runs';
import { ApiKeyAuth, type Principal } from './api-key-auth.js';
import { ChunkRenderer, CompletionAccumulator } from './chunk-renderer.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { InlineOpenError, InlineRuns } from './inline-runs.js';
import { budgetRefusal } from './key-budget.js';
import { OpenAIError } from './openai-error.js';
import { readBody } from './read-body.js';
import { parseChatRequest } from './validation.js';

export interface GatewayOptions {
  config: SwitchboardConfig;
  /** API keys from the database; null runs with only the configured admin / shared keys. */
  apiKeys: ApiKeysRepository | null;
  /** Agents made or edited through the admin API, listed and accepted beside the config's; null: config only. */
  agents?: AgentsRepository | null;
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
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID, X-Conversation-Id, X-OpenWebUI-Chat-Id, X-On-Disconnect',
  'Access-Control-Expose-Headers': 'X-Run-Id, X-Cache, x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests',
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
  // The gateway routes its inline runs itself: circuits, provider limits and probes are shared through Redis.
  const router = new ModelRouter({ config, registry, redis: cmd, sub, keys, logger });
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
  let catalog = new ModelCatalog(config);
  const agentDirectory = new AgentDirectory(options.agents ?? null, config.agents, logger);
  await agentDirectory.start((agents) => {
    catalog = new ModelCatalog({ ...config, agents: [...agents] });
  });
  const auth = new ApiKeyAuth(options.apiKeys, config.auth.admin_key, config.auth.api_key);
  const rateLimit = config.rate_limit;
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
    const all = e.headers ? { ...e.headers, ...headers } : headers;
    sendJson(res, e.status, JSON.stringify(e.toBody()), e.retryAfter ? { ...all, 'Retry-After': String(e.retryAfter) } : all);
  };

  const authenticate = async (req: IncomingMessage): Promise<Principal> => {
    let principal: Principal | null;
    try {
      principal = await auth.authenticate(req.headers.authorization);
    } catch (error) {
      logger.error({ err: error }, 'API key lookup failed');
      throw OpenAIError.unavailable('The key store is unavailable; try again shortly.');
    }
    if (!principal) {
      throw OpenAIError.unauthorized(
        req.headers.authorization ? 'Incorrect API key provided.' : 'You did not provide an API key. Send it as `Authorization: Bearer <key>`.',
      );
    }
    return principal;
  };

  /**
   * Takes one request from the key's limits (shared by every gateway through Redis). Resolves with the
   * x-ratelimit-* headers, or rejects with a 429 that carries them and Retry-After. Started before the body is
   * read, so its round trip overlaps the read.
   */
  const takeRate = async (principal: Principal): Promise<Record<string, string>> => {
    if (!rateLimit.enabled) return {};
    const requests = principal.rateLimitPerMinute ? [{ limit: principal.rateLimitPerMinute, windowMs: 60_000, label: `${principal.rateLimitPerMinute}/minute` }] : rateLimit.requests_per_minute;
    let decision: RateDecision | null;
    try {
      decision = await router.limits.take(rateSubject(principal), requests, rateLimit.tokens_per_minute);
    } catch (error) {
      logger.error({ err: error }, 'rate limit check failed');
      throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
    }
    if (!decision) return {};
    const headers = rateHeaders(decision);
    if (!decision.allowed) {
      metrics.rateLimited.inc({ kind: decision.kind });
      const wait = Math.max(1, Math.ceil(decision.resetMs / 1000));
      throw OpenAIError.rateLimited(`Rate limit reached for this key (${decision.window.label} ${decision.kind}); try again in ${wait} s.`, wait, headers);
    }
    return headers;
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
    headers: Record<string, string> = {},
  ): RunSubscription => {
    const head = { ...headers, 'X-Run-Id': runId };
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
      if (text) {
        // The head leaves with the first text (one socket write).
        startSse(res, runId, false, head);
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
        startSse(res, runId, true, head);
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
    const rate = takeRate(principal);
    // Settled below; until then a rejection must not count as unhandled.
    rate.catch(() => undefined);
    const body = await readBody(req, bodyLimit);
    const request = parseChatRequest(body);
    const route = catalog.resolve(request.model);
    if (!route) {
      throw OpenAIError.notFound(`The model \`${request.model}\` does not exist. GET /v1/models lists the models.`, 'model_not_found');
    }
    for (const id of request.models ?? []) {
      if (id !== 'auto' && catalog.resolve(id)?.kind !== 'provider') {
        throw new OpenAIError(404, `The model \`${id}\` in \`models\` does not exist (list \`<provider>/<model>\` ids or \`auto\`).`, 'invalid_request_error', 'model_not_found', 'models');
      }
    }
    const extraHeaders = await rate;
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
      cacheKey: null,
      tokenSubject: rateLimit.enabled && rateLimit.tokens_per_minute ? rateSubject(principal) : null,
    };
    metrics.runs.inc({ mode: job.mode });
    const plain = route.kind === 'auto' || route.kind === 'provider';
    // The exact-match cache, for plain model calls: looked up here, once, so a hit is answered at once and the
    // response head can say so; the run that misses stores its answer when it is whole.
    let hit: CachedAnswer | null = null;
    if (plain && cache.enabled) {
      const cacheControl = header(req, 'cache-control') ?? '';
      const key = cache.keyOf(request);
      if (key && !/no-store/i.test(cacheControl)) job.cacheKey = key;
      if (key && !/no-cache|no-store/i.test(cacheControl)) {
        hit = await cache.get(key).catch((error: unknown) => {
          logger.warn({ err: error }, 'cache lookup failed');
          return null;
        });
      }
      extraHeaders['X-Cache'] = hit ? 'HIT' : 'MISS';
      metrics.cache.inc({ result: hit ? 'hit' : 'miss' });
    }
    const target = hit ? cachedTarget(hit) : inlineTarget(request.model, request);
    // `X-On-Disconnect: continue`: the client will resume the run (a browser tab that reloads or closes), so
    // losing its connection must not cancel it; it stops the run explicitly (POST /api/runs/:id/cancel).
    const keepOnDisconnect = header(req, 'x-on-disconnect')?.toLowerCase() === 'continue';
    const cancel = (): void => {
      if (keepOnDisconnect) return;
      // A run handed from this gateway to a worker is cancelled like any queued one.
      if (target && inline.cancel(runId, CLIENT_DISCONNECTED)) return;
      publishCancel(cmd, keys, runId, CLIENT_DISCONNECTED).catch(() => undefined);
    };
    // Run here (fed by its own writer) or enqueue (fed by the reply channel); the subscription covers both.
    const begin = (subscription: FollowSubscription): Promise<void> =>
      target ? startInline(job, target, subscription, hit) : enqueue(job);
    if (stream) {
      const renderer = new ChunkRenderer(runId, request.model, created, request.stream_options?.include_usage === true, plain);
      // Follow first, then enqueue: the reply channel is already subscribed, so no event can be missed.
      const subscription = relay(res, runId, null, renderer, cancel, extraHeaders) as FollowSubscription;
      try {
        await begin(subscription);
      } catch (error) {
        subscription.unsubscribe();
        throw error;
      }
      // A queued run may wait for a worker: its client gets the head (and X-Run-Id) now. A run this gateway runs
      // sends it with its first text, one socket write fewer (the heartbeat sends it if the provider is slow).
      if (!target) startSse(res, runId, true, extraHeaders);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const acc = new CompletionAccumulator();
      let done = false;
      const subscription = hub.follow(
        runId,
        (_seq, event) => {
          acc.add(event);
          const result = completionResult(event, acc, runId, request, created, plain);
          if (!result) return;
          done = true;
          if (result instanceof OpenAIError) sendError(res, result, { ...extraHeaders, 'X-Run-Id': runId });
          else sendJson(res, 200, JSON.stringify(result), { ...extraHeaders, 'X-Run-Id': runId });
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
  const inlineTarget = (model: string, request: ChatCompletionRequest): RunTarget | null => {
    try {
      const target = resolveTarget(config, catalog, model, request);
      return inline.accepts(target) ? target : null;
    } catch {
      return null; // an agent made through the API, say: the worker resolves it
    }
  };

  /**
   * A cache hit is answered here whatever model it came from, and whatever server.inline_runs says: nothing is
   * called, and the run takes a moment. It is still a run: durable in Redis, resumable, recorded.
   */
  const cachedTarget = (hit: CachedAnswer): RunTarget => ({
    provider: hit.provider,
    model: hit.model,
    candidates: [{ provider: hit.provider, model: hit.model }],
    agent: null,
  });

  const startInline = async (job: ChatRunJob, target: RunTarget, subscription: FollowSubscription, hit: CachedAnswer | null): Promise<void> => {
    try {
      await inline.start(job, target, subscription.push, hit);
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
      for (const p of config.providers) {
        const state = router.breakers.view(p.name).state;
        metrics.circuit.set({ provider: p.name }, state === 'open' ? 2 : state === 'half-open' ? 1 : 0);
      }
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
      router.stop();
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
function startSse(res: ServerResponse, runId: string, flush = true, headers?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(200, headers ? { ...SSE_HEADERS, ...CORS_HEADERS, 'X-Run-Id': runId, ...headers } : { ...SSE_HEADERS, ...CORS_HEADERS, 'X-Run-Id': runId });
  if (flush) res.flushHeaders();
}

/** Whose limits a request counts against: its key, or the configured admin / shared key by role. */
function rateSubject(principal: Principal): string {
  return principal.keyId ? `key:${principal.keyId}` : `key:_${principal.role}`;
}

/** OpenAI's x-ratelimit-* headers for the window that decided. */
function rateHeaders(decision: RateDecision): Record<string, string> {
  const kind = decision.kind;
  return {
    [`x-ratelimit-limit-${kind}`]: String(decision.window.limit),
    [`x-ratelimit-remaining-${kind}`]: String(decision.remaining),
    [`x-ratelimit-reset-${kind}`]: formatResetDuration(decision.resetMs),
  };
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

function completionResult(event: RunEvent, acc: CompletionAccumulator, runId: string, request: ChatCompletionRequest, created: number, plain: boolean) {
  // Plain model calls name whoever answered (a fallback, or auto's pick); agents and pipelines keep their name.
  const model = plain && acc.served ? acc.served : request.model;
  switch (event.t) {
    case 'finish':
      return acc.build(`chatcmpl-${runId}`, model, created, event.reason, event.usage);
    case 'background':
      return acc.build(`chatcmpl-${runId}`, model, created, 'stop', { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    case 'error':
      return new OpenAIError(event.status, event.message, event.type, event.code);
    case 'route':
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
