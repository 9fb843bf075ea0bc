import { Agent as HttpAgent, type ClientRequest, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { proxyFor, type ProxySettings, proxySettingsFrom } from './proxy-env.js';

/** How requests to one target go through its proxy. Built once per endpoint (or origin), reused per call. */
export interface ProxyRoute {
  /** The proxy, without credentials (for messages and logs). */
  readonly proxy: string;
  request(target: URL, options: { method: string; headers: OutgoingHttpHeaders }): ClientRequest;
}

let environment: ProxySettings | null | undefined;

/**
 * The proxy route the process environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) gives `target`, or undefined
 * for a direct connection. The environment is read once per process, like most HTTP clients do.
 */
export function environmentProxyRoute(target: URL): ProxyRoute | undefined {
  if (environment === undefined) environment = proxySettingsFrom(process.env);
  return environment ? proxyRouteFor(target, environment) : undefined;
}

/** Whether the environment sets any proxy: when not, callers keep their direct path untouched. */
export function environmentHasProxy(): boolean {
  if (environment === undefined) environment = proxySettingsFrom(process.env);
  return environment !== null;
}

const routes = new Map<string, ProxyRoute>();

export function proxyRouteFor(target: URL, settings: ProxySettings): ProxyRoute | undefined {
  const proxy = proxyFor(target, settings);
  if (!proxy) return undefined;
  const key = `${target.protocol}${proxy.href}`;
  let route = routes.get(key);
  if (!route) routes.set(key, (route = target.protocol === 'https:' ? tunnelRoute(proxy) : forwardRoute(proxy)));
  return route;
}

/** http:// targets: the request goes to the proxy with the absolute URI as its path (RFC 9112 §3.2.2). */
function forwardRoute(proxy: URL): ProxyRoute {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const auth = proxyAuthorization(proxy);
  return {
    proxy: displayed(proxy),
    request: (target, { method, headers }) =>
      httpRequest({
        host: proxy.hostname,
        port: proxy.port || 80,
        method,
        path: target.href,
        headers: { ...headers, host: target.host, ...(auth ? { 'proxy-authorization': auth } : {}) },
        agent,
      }),
  };
}

/** https:// targets: a CONNECT tunnel through the proxy, then TLS to the target inside it; tunnels are kept alive. */
function tunnelRoute(proxy: URL): ProxyRoute {
  const agent = new TunnelAgent(proxy);
  return {
    proxy: displayed(proxy),
    request: (target, { method, headers }) => httpsRequest(target, { method, headers, agent }),
  };
}

class TunnelAgent extends HttpsAgent {
  private readonly auth: string | undefined;

  constructor(private readonly proxy: URL) {
    super({ keepAlive: true, maxSockets: 256 });
    this.auth = proxyAuthorization(proxy);
  }

  override createConnection(options: HttpsRequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? options.hostname ?? 'localhost';
    const port = Number(options.port ?? 443);
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const connect = httpRequest({
      host: this.proxy.hostname,
      port: this.proxy.port || 80,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(this.auth ? { 'proxy-authorization': this.auth } : {}) },
      agent: false,
    });
    const done = callback ?? (() => undefined);
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(new Error(`proxy ${displayed(this.proxy)} answered ${res.statusCode} to CONNECT ${authority}`), socket);
        return;
      }
      // The agent's TLS options (servername, ca, ...) apply inside the tunnel as they would on a direct socket.
      const servername = options.servername ?? (isIP(host) ? undefined : host);
      done(null, tlsConnect({ ...(options as ConnectionOptions), host, port, socket, ...(servername ? { servername } : {}) }));
    });
    connect.once('error', (error) => done(new Error(`proxy ${displayed(this.proxy)} unreachable: ${error.message}`, { cause: error }), connect.socket as Duplex));
    connect.end();
    return undefined;
  }
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** Never the credentials. */
function displayed(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
