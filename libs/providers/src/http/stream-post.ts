import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { environmentProxyRoute, type ProxyRoute } from './proxy-route.js';

/** One keep-alive pool per protocol for every provider of this process (the lean fetch shares them). */
export const keepAliveAgents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** Where a streamed call goes and with what headers: built once per provider, reused by every call. */
export interface StreamEndpoint {
  url: URL;
  headers: Record<string, string>;
  /** Set when HTTPS_PROXY / HTTP_PROXY send this endpoint through a proxy (see streamEndpoint). */
  proxy?: ProxyRoute;
}

/** An endpoint with its proxy route, if the environment gives it one: decided once, not per call. */
export function streamEndpoint(url: URL, headers: Record<string, string>): StreamEndpoint {
  const proxy = environmentProxyRoute(url);
  return proxy ? { url, headers, proxy } : { url, headers };
}

/**
 * POSTs a JSON body and resolves with the response once its head arrived; the response is the body, read as
 * an async iterable of byte chunks. The streamed call's hot path, without fetch: no Request, Headers, Response
 * or web stream per call, which is most of what a streamed completion costs the SDK's fetch here (npm run bench).
 * Aborting `signal` destroys the request: a pending call rejects with the signal's reason, a body being read
 * errors. Rejects with the socket's error when the connection fails.
 */
export function postForStream(endpoint: StreamEndpoint, body: string, signal: AbortSignal): Promise<IncomingMessage> {
  const { url, proxy } = endpoint;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const headers = { ...endpoint.headers, 'content-length': Buffer.byteLength(body) };
    const req = proxy
      ? proxy.request(url, { method: 'POST', headers })
      : request(url, { method: 'POST', headers, agent: keepAliveAgents[url.protocol as 'http:' | 'https:'] });
    const onAbort = (): void => {
      req.destroy(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal.removeEventListener('abort', onAbort));
    req.once('response', resolve);
    req.once('error', reject);
    req.end(body);
  });
}

/** The whole body as text (for an error answer). */
export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A response head as fetch Headers (what a fetch Response carries; the SDK's errors and Retry-After read them). */
export function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return headers;
}

/** What a call aborted by `signal` fails with: the signal's reason if it is an error, else an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
