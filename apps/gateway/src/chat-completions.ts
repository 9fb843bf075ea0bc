import type { ChatCompletionRequest, ChatRunJob, AgentConfig, ModelRoute, PipelineConfig, RunEvent } from '@switchboard/contracts';
import { trace } from '@opentelemetry/api';
import { injectTrace, tracingEnabled } from '@switchboard/config';
import { newId } from '@switchboard/db';
import { CLIENT_DISCONNECTED, type FollowSubscription, publishCancel } from '@switchboard/queue';
import { type CachedAnswer, formatResetDuration, type RateDecision, resolveTarget, type RunTarget } from '@switchboard/runs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@switchboard/auth';
import { ChunkRenderer, CompletionAccumulator } from './chunk-renderer.js';
import type { GatewayContext } from './gateway-context.js';
import { InlineOpenError } from './inline-runs.js';
import { budgetRefusal } from './key-budget.js';
import { OpenAIError } from './openai-error.js';
import { readBody } from './read-body.js';
import { followFailure, header, sendJson, startSse } from './responses.js';
import { parseChatRequest } from './validation.js';

/**
 * POST /v1/chat/completions: authenticate, take from the key's rate limit, validate, look the answer up in the
 * cache, then run it here (InlineRuns: plain calls to remote providers, and cache hits) or enqueue it for a
 * worker, and relay its events as SSE or collect them into one JSON answer.
 */
export function chatCompletionsHandler(
  ctx: GatewayContext,
  parse: RequestParser = parseModelRequest,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { config, logger, hub, cache, inline, metrics } = ctx;
  const bodyLimit = Math.floor(config.server.body_limit_mb * 1024 * 1024);
  const rateLimit = config.rate_limit;

  return async (req, res) => {
    const principal = await ctx.authenticate(req);
    const refusal = budgetRefusal(principal.budget);
    if (refusal) throw new OpenAIError(429, refusal.message, 'insufficient_quota', 'budget_exceeded', null, refusal.retryAfter);
    const rate = takeRate(ctx, principal);
    // Settled below; until then a rejection must not count as unhandled.
    rate.catch(() => undefined);
    const body = await readBody(req, bodyLimit);
    const { request, route, pipeline, agent } = parse(ctx, body);
    const extraHeaders = await rate;
    ctx.redisReady();
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
      ...(pipeline ? { pipeline } : {}),
      ...(agent ? { agent } : {}),
    };
    if (tracingEnabled()) traceJob(job);
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
      ctx.router.metrics?.cacheLookup(hit !== null);
    }
    // An ad-hoc pipeline always goes to the queue, like a configured one.
    const target = hit ? cachedTarget(hit) : pipeline ? null : inlineTarget(ctx, request);
    // `X-On-Disconnect: continue`: the client will resume the run (a browser tab that reloads or closes), so
    // losing its connection must not cancel it; it stops the run explicitly (POST /api/runs/:id/cancel).
    const keepOnDisconnect = header(req, 'x-on-disconnect')?.toLowerCase() === 'continue';
    const cancel = (): void => {
      if (keepOnDisconnect) return;
      // A run handed from this gateway to a worker is cancelled like any queued one.
      if (target && inline.cancel(runId, CLIENT_DISCONNECTED)) return;
      publishCancel(ctx.cmd, ctx.keys, runId, CLIENT_DISCONNECTED).catch(() => undefined);
    };
    // Run here (fed by its own writer) or enqueue (fed by the reply channel); the subscription covers both.
    const begin = (subscription: FollowSubscription): Promise<void> => (target ? startInline(ctx, job, target, subscription, hit) : enqueue(ctx, job));
    if (stream) {
      const renderer = new ChunkRenderer(runId, request.model, created, request.stream_options?.include_usage === true, plain);
      // Follow first, then enqueue: the reply channel is already subscribed, so no event can be missed.
      const subscription = ctx.relay.relay(res, runId, null, renderer, cancel, extraHeaders) as FollowSubscription;
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
          if (result instanceof OpenAIError) ctx.sendError(res, result, { ...extraHeaders, 'X-Run-Id': runId });
          else sendJson(res, 200, JSON.stringify(result), { ...extraHeaders, 'X-Run-Id': runId });
          resolve();
        },
        (error) => {
          done = true;
          logger.error({ err: error, runId }, 'run event subscription failed');
          ctx.sendError(res, followFailure(error, runId), { 'X-Run-Id': runId });
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
}

/** What a route's body says is to run: the request, where its model id routes, and an ad-hoc pipeline's definition. */
export interface ParsedRun {
  request: ChatCompletionRequest;
  route: ModelRoute;
  pipeline?: PipelineConfig;
  agent?: AgentConfig;
}

/** Turns the body into a ParsedRun or throws a 4xx OpenAIError; the rest of a run is the same for every route. */
export type RequestParser = (ctx: GatewayContext, body: string) => ParsedRun;

/** /v1/chat/completions: `model` (and a `models` fallback list) must be ids the catalog knows. */
function parseModelRequest(ctx: GatewayContext, body: string): ParsedRun {
  const request = parseChatRequest(body);
  const catalog = ctx.catalog();
  const route = catalog.resolve(request.model);
  if (!route) {
    throw OpenAIError.notFound(`The model \`${request.model}\` does not exist. GET /v1/models lists the models.`, 'model_not_found');
  }
  for (const id of request.models ?? []) {
    if (id !== 'auto' && catalog.resolve(id)?.kind !== 'provider') {
      throw new OpenAIError(404, `The model \`${id}\` in \`models\` does not exist (list \`<provider>/<model>\` ids or \`auto\`).`, 'invalid_request_error', 'model_not_found', 'models');
    }
  }
  // The definition goes with the job: a worker whose directory is a refresh behind this gateway's runs it too.
  const live = ctx.liveConfig();
  const agent = route.kind === 'agent' ? live.agents.find((a) => a.name === route.agent) : undefined;
  const pipeline = route.kind === 'pipeline' ? live.pipelines.find((p) => p.name === route.pipeline) : undefined;
  return { request, route, ...(agent ? { agent } : {}), ...(pipeline ? { pipeline } : {}) };
}

/**
 * Takes one request from the key's limits (shared by every gateway through Redis). Resolves with the
 * x-ratelimit-* headers, or rejects with a 429 that carries them and Retry-After. Started before the body is
 * read, so its round trip overlaps the read.
 */
async function takeRate(ctx: GatewayContext, principal: Principal): Promise<Record<string, string>> {
  const rateLimit = ctx.config.rate_limit;
  if (!rateLimit.enabled) return {};
  const own = principal.rateLimitPerMinute;
  const requests = own ? [{ limit: own, windowMs: 60_000, label: `${own}/minute` }] : rateLimit.requests_per_minute;
  let decision: RateDecision | null;
  try {
    decision = await ctx.router.limits.take(rateSubject(principal), requests, rateLimit.tokens_per_minute);
  } catch (error) {
    ctx.logger.error({ err: error }, 'rate limit check failed');
    throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
  }
  if (!decision) return {};
  const headers = rateHeaders(decision);
  if (!decision.allowed) {
    ctx.metrics.rateLimited.inc({ kind: decision.kind });
    const wait = Math.max(1, Math.ceil(decision.resetMs / 1000));
    throw OpenAIError.rateLimited(`Rate limit reached for this key (${decision.window.label} ${decision.kind}); try again in ${wait} s.`, wait, headers);
  }
  return headers;
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

/** Where this gateway runs the model itself (see InlineRuns), or null: the run goes through the queue. */
function inlineTarget(ctx: GatewayContext, request: ChatCompletionRequest): RunTarget | null {
  try {
    const target = resolveTarget(ctx.config, ctx.catalog(), request.model, request);
    return ctx.inline.accepts(target) ? target : null;
  } catch {
    return null; // an agent made through the API, say: the worker resolves it
  }
}

/**
 * A cache hit is answered here whatever model it came from, and whatever server.inline_runs says: nothing is
 * called, and the run takes a moment. It is still a run: durable in Redis, resumable, recorded.
 */
function cachedTarget(hit: CachedAnswer): RunTarget {
  return { provider: hit.provider, model: hit.model, candidates: [{ provider: hit.provider, model: hit.model }], agent: null };
}

async function startInline(ctx: GatewayContext, job: ChatRunJob, target: RunTarget, subscription: FollowSubscription, hit: CachedAnswer | null): Promise<void> {
  try {
    await ctx.inline.start(job, target, subscription.push, hit);
  } catch (error) {
    if (error instanceof InlineOpenError) throw OpenAIError.unavailable(error.message);
    throw error;
  }
}

async function enqueue(ctx: GatewayContext, job: ChatRunJob): Promise<void> {
  try {
    await withTimeout(ctx.runQueue.enqueueChat(job), 1000);
  } catch (error) {
    ctx.logger.error({ err: error, runId: job.runId }, 'enqueue failed');
    throw OpenAIError.unavailable('The queue (Redis) is unavailable; try again shortly.');
  }
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

/**
 * The request's span names the run, and the job carries the span: a run this gateway runs and then hands to a
 * worker (or that a worker takes over when the gateway is gone) goes on in the request's trace, as a queued run
 * does. Only called while tracing is on, so the request path pays one boolean check without it.
 */
function traceJob(job: ChatRunJob): void {
  const span = trace.getActiveSpan() ?? null;
  span?.setAttribute('switchboard.run_id', job.runId);
  const carrier = injectTrace(span);
  if (carrier) job.trace = carrier;
}
