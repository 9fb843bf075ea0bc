import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { environmentHasProxy, environmentProxyRoute } from './proxy-route.js';
import { abortReason, headersOf, keepAliveAgents } from './stream-post.js';

/**
 * A `fetch` for the provider hot path, on node:http with keep-alive agents. Global fetch (undici) builds a
 * Request, validates headers, follows signals and pipes the body through several web streams for every call:
 * about 1 ms of CPU per streamed completion here, as much as everything else Switchboard does for a run.
 * This one writes the request in one go and hands the socket's chunks to a minimal byte stream.
 * It covers what the openai SDK uses: method, headers, a string or bytes body, an abort signal.
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured (see proxy-env.ts); without them nothing is looked up per call.
 */
export function createNodeHttpFetch(options: { maxSockets?: number } = {}): typeof globalThis.fetch {
  const agents =
    options.maxSockets === undefined
      ? keepAliveAgents
      : { 'http:': new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets }) };
  const proxied = environmentHasProxy();
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : new URL(input.url);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body = init.body == null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(init.body as ArrayBuffer);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = agents[url.protocol as 'http:' | 'https:'];
    const proxy = proxied ? environmentProxyRoute(url) : undefined;
    const method = init.method ?? 'GET';
    return new Promise<Response>((resolve, reject) => {
      const req = proxy ? proxy.request(url, { method, headers }) : request(url, { method, headers, agent });
      req.once('response', (res) => {
        const status = res.statusCode ?? 500;
        const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
        resolve(new Response(nullBody ? null : toByteStream(res, signal), { status, statusText: res.statusMessage ?? '', headers: headersOf(res) }));
      });
      const onAbort = (): void => {
        req.destroy(abortReason(signal!));
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal?.removeEventListener('abort', onAbort));
      req.once('error', reject);
      req.end(body);
    });
  }) as typeof globalThis.fetch;
}

function toByteStream(res: IncomingMessage, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      res.once('end', () => controller.close());
      // Node reports a cut body as an 'aborted' error or a bare 'close': say which, once.
      const fail = (cause?: unknown): void => {
        if (res.complete) return;
        controller.error(signal?.aborted ? abortReason(signal) : new Error('connection closed before the response ended', { cause }));
      };
      res.once('error', fail);
      res.once('close', () => fail());
    },
    cancel() {
      res.destroy();
    },
  });
}
