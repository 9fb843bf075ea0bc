import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { type FastifyInstance } from 'fastify';
import { type Logger } from 'pino';
import { type MetricsService } from '../metrics/metrics.service.js';

const quietRoutes = new Set(['/healthz', '/readyz', '/metrics']);

/** A caller's `X-Request-Id` is kept when it looks like an id (so traces join up); otherwise a fresh one. */
export function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}

/**
 * Per-request plumbing below Nest, so it also covers what never reaches a controller (404s, bodies rejected by
 * the parser, the OpenAPI routes): the request id header, one structured log line, the HTTP metrics.
 * Logged fields are picked one by one: no header (so never `Authorization`) and no body is ever logged.
 */
export function installHttpHooks(fastify: FastifyInstance, deps: { logger: Logger; metrics: MetricsService }): void {
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      keyId: request.principal?.keyId ?? undefined,
    };
    if (quietRoutes.has(route) && reply.statusCode < 400) deps.logger.debug(line, 'request');
    else deps.logger.info(line, 'request');
  });
}
