import { context, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startSpan } from '@switchboard/config';
import type { RouteAttempt, RouteObserver } from './routed-model.js';

/**
 * `observer` with a client span per provider attempt, under the context the call was made in (the request's
 * span on a gateway, the job's on a worker). Written when the router reports the attempt, with its start set back
 * by its latency: the stream itself carries no tracing work.
 */
export function tracedAttempts(observer: RouteObserver | undefined): RouteObserver {
  const parent = context.active();
  // Observers are plain objects of functions (observeRoute, RouteMetrics.observe): spread, attempt wrapped.
  return {
    ...observer,
    attempt: (a) => {
      recordAttempt(a, parent);
      observer?.attempt?.(a);
    },
  };
}

function recordAttempt(a: RouteAttempt, parent: Context): void {
  const end = Date.now();
  const span = startSpan(
    `chat ${a.provider}/${a.model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - a.latencyMs,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': a.provider,
        'gen_ai.request.model': a.model,
        'gen_ai.usage.input_tokens': a.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': a.usage.completion_tokens,
        'switchboard.outcome': a.outcome,
        'switchboard.cached': a.cached,
        'switchboard.continued': a.continued,
        ...(a.ttftMs !== null ? { 'switchboard.ttft_ms': a.ttftMs } : {}),
        ...(a.error ? { 'switchboard.error': a.error } : {}),
      },
    },
    parent,
  );
  if (!span) return;
  if (a.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, ...(a.error ? { message: a.error } : {}) });
  span.end(end);
}
