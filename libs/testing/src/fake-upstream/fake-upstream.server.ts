import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyStop, doneEvent, renderJson, renderStream, type RenderedStream } from './completion.renderer.js';
import type {
  FakeCompletionReply,
  FakeFixtureReply,
  FakeHttpErrorReply,
  FakeReply,
  FakeRequest,
  FakeRequestOutcome,
  RecordedRequest,
} from './fake-reply.types.js';
import { readFixture, splitSseEvents } from '../sse-fixtures.js';

export interface FakeUpstreamOptions {
  /** The reply to every chat completion, or a function of the request that picks one. Default: a short text. */
  reply?: FakeReply | ((request: FakeRequest) => FakeReply);
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get 401. */
  apiKey?: string;
  /** Keep every request in `requests` (default true). Benchmarks turn it off so memory stays flat. */
  record?: boolean;
}

export interface FakeUpstream {
  /** Base URL ending in `/v1`, as an OpenAI client expects it. */
  url: string;
  port: number;
  /** Every request received, in order (empty when `record` is false). */
  requests: RecordedRequest[];
  /** Replaces the reply script for the requests that follow. */
  setReply(reply: FakeUpstreamOptions['reply']): void;
  /** Closes the server and every open connection (hanging streams included). */
  close(): Promise<void>;
}

const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const jsonHeaders = { 'content-type': 'application/json' };
const defaultReply: FakeCompletionReply = { type: 'completion', text: 'Hello from the fake upstream.' };

/** Per-reply render cache: a constant reply (the benchmark's) is turned into bytes once, not per request. */
const renderCache = new WeakMap<FakeCompletionReply, Map<string, RenderedStream | string>>();

function cached<T extends RenderedStream | string>(reply: FakeCompletionReply, key: string, render: () => T): T {
  let byKey = renderCache.get(reply);
  if (!byKey) renderCache.set(reply, (byKey = new Map()));
  let hit = byKey.get(key) as T | undefined;
  if (hit === undefined) byKey.set(key, (hit = render()));
  return hit;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function errorBody(message: string, type: string, code: string | number | null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function defaultErrorType(status: number): string {
  if (status === 429) return 'requests';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

interface Exchange {
  res: ServerResponse;
  /** Set when the fake cut the connection on purpose. */
  dropped: boolean;
}

/** Writes and resolves once the bytes left for the kernel, so a following socket destroy cannot eat them. */
const writeFlushed = (res: ServerResponse, data: string | Buffer): Promise<void> =>
  new Promise((resolve) => res.write(data, () => resolve()));

function sendHttpError(reply: FakeHttpErrorReply, res: ServerResponse): void {
  const headers: Record<string, string> = { ...jsonHeaders };
  if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
  res.writeHead(reply.status, headers);
  res.end(
    errorBody(reply.message ?? `fake upstream error ${reply.status}`, reply.errorType ?? defaultErrorType(reply.status), reply.code ?? null),
  );
}

async function sendFixture(reply: FakeFixtureReply, res: ServerResponse): Promise<void> {
  const bytes = readFixture(reply.name);
  if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs);
  if (res.destroyed) return;
  res.writeHead(200, sseHeaders);
  if (!reply.eventDelayMs) {
    res.end(bytes);
    return;
  }
  const events = splitSseEvents(bytes);
  for (let i = 0; i < events.length; i++) {
    if (i > 0) await sleep(reply.eventDelayMs);
    if (res.destroyed) return;
    res.write(events[i]);
  }
  res.end();
}

/** The slow path: delays, hangs, drops and mid-stream errors, one delta at a time. */
async function streamSlowly(reply: FakeCompletionReply, rendered: RenderedStream, ex: Exchange): Promise<void> {
  const { res } = ex;
  if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs);
  if (res.destroyed) return;
  res.writeHead(200, sseHeaders);
  await writeFlushed(res, rendered.head);
  if (reply.firstDeltaDelayMs) await sleep(reply.firstDeltaDelayMs);
  const { deltas } = rendered;
  for (let i = 0; i <= deltas.length; i++) {
    if (res.destroyed || i === reply.hangAfterDeltas) return;
    if (reply.holdAfterDeltas && i === reply.holdAfterDeltas.after) {
      await reply.holdAfterDeltas.until;
      if (res.destroyed) return;
    }
    if (i === reply.dropAfterDeltas) {
      ex.dropped = true;
      res.socket?.destroy();
      return;
    }
    if (i === reply.malformedAfterDeltas) {
      res.end('data: {"choices":[{"delta":{"content":"bro\n\n');
      return;
    }
    if (i === reply.endAfterDeltas) {
      res.end();
      return;
    }
    const midError = reply.errorAfterDeltas;
    if (midError && i === midError.after) {
      res.end(`data: ${errorBody(midError.message, 'server_error', midError.code ?? null)}\n\n`);
      return;
    }
    if (i === deltas.length) break;
    if (i > 0 && reply.deltaDelayMs) await sleep(reply.deltaDelayMs);
    if (res.destroyed) return;
    await writeFlushed(res, deltas[i] as string);
  }
  res.end(rendered.finish + rendered.usage + doneEvent);
}

const needsSlowPath = (r: FakeCompletionReply): boolean =>
  !!(r.firstByteDelayMs || r.firstDeltaDelayMs || r.deltaDelayMs) ||
  r.hangAfterDeltas !== undefined ||
  r.holdAfterDeltas !== undefined ||
  r.dropAfterDeltas !== undefined ||
  r.malformedAfterDeltas !== undefined ||
  r.endAfterDeltas !== undefined ||
  r.errorAfterDeltas !== undefined;

function stopOf(body: Record<string, unknown>): string[] | undefined {
  const stop = body['stop'];
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) && stop.length > 0 ? stop.filter((s): s is string => typeof s === 'string') : undefined;
}

function sendCompletion(reply: FakeCompletionReply, body: Record<string, unknown>, ex: Exchange): void {
  const model = typeof body['model'] === 'string' ? body['model'] : 'fake-model';
  const stop = stopOf(body);
  const effective = stop ? applyStop(reply, stop) : reply;
  const { res } = ex;
  if (body['stream'] !== true) {
    const json = cached(effective, `j\0${model}`, () => renderJson(effective, model));
    const hold = effective.holdAfterDeltas?.until;
    if (!effective.firstByteDelayMs && !hold) {
      res.writeHead(200, jsonHeaders);
      res.end(json);
      return;
    }
    void Promise.all([sleep(effective.firstByteDelayMs ?? 0), hold]).then(() => {
      if (res.destroyed) return;
      res.writeHead(200, jsonHeaders);
      res.end(json);
    });
    return;
  }
  const streamOptions = body['stream_options'] as { include_usage?: unknown } | null | undefined;
  const includeUsage = streamOptions?.include_usage === true;
  const rendered = cached(effective, `s\0${model}\0${includeUsage ? 1 : 0}`, () => renderStream(effective, model, includeUsage));
  if (!needsSlowPath(effective)) {
    res.writeHead(200, sseHeaders);
    res.end(rendered.body + rendered.usage + doneEvent);
    return;
  }
  streamSlowly(effective, rendered, ex).catch(() => res.destroy());
}

/**
 * A fake OpenAI-compatible upstream on loopback: real HTTP, scripted answers. Lean on purpose: it is also the
 * upstream of the throughput benchmark, so the common case is one JSON.parse and one cached write per request.
 */
export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  let script = options.reply ?? defaultReply;
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  const modelList = JSON.stringify({
    object: 'list',
    data: (options.models ?? ['fake-model']).map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })),
  });
  const expectedAuth = options.apiKey === undefined ? undefined : `Bearer ${options.apiKey}`;
  let seq = 0;

  const route = (req: IncomingMessage, ex: Exchange, raw: Buffer): void => {
    const { res } = ex;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        res.writeHead(400, jsonHeaders);
        res.end(errorBody('The request body is not valid JSON.', 'invalid_request_error', null));
        return;
      }
    }
    const request: FakeRequest = { seq: seq++, method: req.method ?? 'GET', path, headers: req.headers, body };
    if (record) {
      const outcome = new Promise<FakeRequestOutcome>((resolve) =>
        res.once('close', () => resolve(res.writableFinished ? 'completed' : ex.dropped ? 'dropped' : 'closed-early')),
      );
      requests.push(Object.assign(request, { outcome }));
    }
    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, jsonHeaders);
      // Echoes the whole key, worse than real providers (which mask it), so tests prove we redact it.
      const given = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      res.end(errorBody(`Incorrect API key provided: ${given}.`, 'invalid_request_error', 'invalid_api_key'));
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, jsonHeaders);
      res.end(modelList);
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      res.writeHead(404, jsonHeaders);
      res.end(errorBody(`Unknown route ${request.method} ${path}`, 'invalid_request_error', 'not_found'));
      return;
    }
    if (typeof body !== 'object' || body === null) {
      res.writeHead(400, jsonHeaders);
      res.end(errorBody('A JSON object body is required.', 'invalid_request_error', null));
      return;
    }
    let reply: FakeReply;
    try {
      reply = typeof script === 'function' ? script(request) : script;
    } catch (error) {
      res.writeHead(500, jsonHeaders);
      res.end(errorBody(`reply script threw: ${String(error)}`, 'server_error', null));
      return;
    }
    switch (reply.type) {
      case 'completion':
        sendCompletion(reply, body as Record<string, unknown>, ex);
        return;
      case 'http-error':
        if (reply.firstByteDelayMs) void sleep(reply.firstByteDelayMs).then(() => !res.destroyed && sendHttpError(reply, res));
        else sendHttpError(reply, res);
        return;
      case 'fixture':
        sendFixture(reply, res).catch(() => res.destroy());
        return;
      case 'hang':
        if (reply.afterHeaders) {
          res.writeHead(200, sseHeaders);
          res.flushHeaders();
        }
        return;
    }
  };

  const server = createServer((req, res) => {
    const ex: Exchange = { res, dropped: false };
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => route(req, ex, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
  });
  // Node closes an idle keep-alive connection after 5 s; a client that reuses it just then, as a busy machine's
  // slow timers make likely, fails with "other side closed". Tests see real servers keep connections longer.
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    setReply(reply) {
      script = reply ?? defaultReply;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
