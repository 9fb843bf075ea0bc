import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChunkRenderer } from './chunk-renderer.js';
import type { GatewayContext } from './gateway-context.js';
import { OpenAIError } from './openai-error.js';
import { CORS_HEADERS, header, sendJson, startSse } from './responses.js';

const SHUTTING_DOWN = new OpenAIError(503, 'This gateway is shutting down; send the request again to reach another one.', 'service_unavailable', 'shutting_down', null, 1);

/** Every route of the gateway: /v1 (chat completions, ad-hoc pipeline runs, models, run events), health, readiness and metrics. */
export function gatewayRoutes(
  ctx: GatewayContext,
  chatCompletions: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  adhocPipelineRun: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  draining: () => boolean,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { cmd, sub, metrics, hub } = ctx;

  /** GET /v1/runs/:id/events: a run's events after Last-Event-ID (or `?after=`), on any gateway. */
  const runEvents = async (req: IncomingMessage, res: ServerResponse, runId: string, query: string): Promise<void> => {
    const principal = await ctx.authenticate(req);
    ctx.redisReady();
    const job = await ctx.runQueue.findJob(runId).catch(() => null);
    if (!job || (principal.role !== 'admin' && job.apiKeyId !== principal.keyId)) {
      throw OpenAIError.notFound(`No run \`${runId}\` (or its events have expired).`, 'run_not_found');
    }
    const after = Number(header(req, 'last-event-id') ?? new URLSearchParams(query).get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) throw OpenAIError.invalidRequest('Last-Event-ID must be a non-negative integer.', 'Last-Event-ID');
    const { request, created } = job;
    const kind = ctx.catalog().resolve(request.model)?.kind;
    const renderer = new ChunkRenderer(runId, request.model, created, request.stream_options?.include_usage === true, kind === 'auto' || kind === 'provider');
    startSse(res, runId);
    // A reconnecting client never cancels the run: it may come back again.
    ctx.relay.relay(res, runId, after, renderer, () => undefined);
  };

  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...CORS_HEADERS, 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' });
      res.end();
      return;
    }
    if (draining() && path !== '/healthz' && path !== '/metrics') {
      // Still listening, so a client gets an answer it can act on (retry elsewhere) rather than a refused connection.
      const e = path === '/readyz' ? new OpenAIError(503, 'This gateway is shutting down.', 'service_unavailable', 'shutting_down') : SHUTTING_DOWN;
      return ctx.sendError(res, e, { Connection: 'close' });
    }
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (method !== 'POST') throw new OpenAIError(405, 'Use POST for chat completions.', 'invalid_request_error', 'method_not_allowed');
      return chatCompletions(req, res);
    }
    if (path === '/v1/pipelines/run') {
      if (method !== 'POST') throw new OpenAIError(405, 'Use POST to run a pipeline.', 'invalid_request_error', 'method_not_allowed');
      return adhocPipelineRun(req, res);
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
      await ctx.authenticate(req);
      return sendJson(res, 200, ctx.catalog().listJson);
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      await ctx.authenticate(req);
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const found = (JSON.parse(ctx.catalog().listJson) as { data: { id: string }[] }).data.find((m) => m.id === id);
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
}
