import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RedisOutageError, RunLostError } from '@switchboard/queue';
import type { GatewayMetrics } from './gateway-metrics.js';
import { OpenAIError } from './openai-error.js';

/** How the gateway answers: JSON and SSE heads, OpenAI-shaped errors, and what a client is told when a stream is lost. */

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Cache-Control, Last-Event-ID, X-Conversation-Id, X-OpenWebUI-Chat-Id, X-On-Disconnect',
  'Access-Control-Expose-Headers': 'X-Run-Id, X-Cache, x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests',
};

/**
 * Sets the SSE response head once, whichever comes first: the enqueue's reply, the run's first event or a
 * heartbeat. `flush` sends it at once; otherwise it leaves with the write that follows.
 */
export function startSse(res: ServerResponse, runId: string, flush = true, headers?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(200, headers ? { ...SSE_HEADERS, ...CORS_HEADERS, 'X-Run-Id': runId, ...headers } : { ...SSE_HEADERS, ...CORS_HEADERS, 'X-Run-Id': runId });
  if (flush) res.flushHeaders();
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...CORS_HEADERS, ...headers });
  res.end(body);
}

export type SendError = (res: ServerResponse, error: unknown, headers?: Record<string, string>) => void;

/** Answers any error in OpenAI's shape; an unexpected one becomes a logged 500 that says nothing internal. */
export function errorSender(metrics: GatewayMetrics, logger: Logger): SendError {
  return (res, error, headers = {}) => {
    const e = error instanceof OpenAIError ? error : internalError(error, logger);
    metrics.errors.inc({ status: String(e.status) });
    if (res.headersSent) {
      res.end();
      return;
    }
    const all = e.headers ? { ...e.headers, ...headers } : headers;
    sendJson(res, e.status, JSON.stringify(e.toBody()), e.retryAfter ? { ...all, 'Retry-After': String(e.retryAfter) } : all);
  };
}

function internalError(error: unknown, logger: Logger): OpenAIError {
  logger.error({ err: error }, 'unhandled gateway error');
  return new OpenAIError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
}

/** What a client is told when the run's events can no longer be followed (Redis gone too long, or the run lost). */
export function followFailure(error: unknown, runId: string): OpenAIError {
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

export function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}
