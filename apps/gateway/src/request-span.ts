import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractTrace, startSpan, tracingEnabled, withSpan } from '@switchboard/config';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ROUTES: [RegExp, string][] = [
  [/^\/v1\/chat\/completions$/, '/v1/chat/completions'],
  [/^\/v1\/pipelines\/run$/, '/v1/pipelines/run'],
  [/^\/v1\/models$/, '/v1/models'],
  [/^\/v1\/models\/.+$/, '/v1/models/:id'],
  [/^\/v1\/runs\/[^/]+\/events$/, '/v1/runs/:id/events'],
];
/** Probes: asked every few seconds by orchestrators and scrapers, not worth a trace each. */
const PROBES = /^\/(healthz|readyz|metrics)$/;

/** The route template of a path (bounded, as span names must be), or null for an unknown one. */
function routeOf(path: string): string | null {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1] ?? null;
}

/**
 * `handler` with a server span per request while tracing is on, continuing the caller's trace when it sent a
 * `traceparent`; everything the request does (its inline run's provider attempts, its queue hop, its log lines)
 * happens inside it, and a run's request says its run id (`switchboard.run_id`, set by the chat handler).
 * Probes (health, metrics) are not traced. With tracing off this is `handler` itself.
 */
export function tracedRequests(handler: Handler): Handler {
  if (!tracingEnabled()) return handler;
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (PROBES.test(path)) return handler(req, res);
    const route = routeOf(path);
    const span = startSpan(
      `${req.method ?? 'GET'} ${route ?? 'unknown route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method ?? 'GET', ...(route ? { 'http.route': route } : {}), 'switchboard.app': 'gateway' },
      },
      extractTrace(req.headers),
    );
    res.once('close', () => {
      span?.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      span?.end();
    });
    withSpan(span, () => handler(req, res));
  };
}
