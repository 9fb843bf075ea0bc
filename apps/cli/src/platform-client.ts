import type { SwitchboardConfig, WebConfig } from '@switchboard/contracts';

/** An error answer of the platform's API or gateway, with its status and the platform's own message. */
export class PlatformApiError extends Error {
  override readonly name = 'PlatformApiError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface OpenOptions {
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/** The running platform as the CLI talks to it: its REST API, and its gateway for streams. */
export interface PlatformClient {
  /** The API's base URL. */
  readonly url: string;
  /** A JSON request to the API; an error answer throws a PlatformApiError. */
  request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
  /**
   * An authenticated request to any URL of the platform (the gateway's SSE routes), answered as it is once the
   * status is 2xx; an error answer throws a PlatformApiError like `request` does.
   */
  open(url: string, options?: OpenOptions): Promise<Response>;
  /** The gateway's base URL (without `/v1`): SWITCHBOARD_GATEWAY_URL, else where the API says it is. */
  gatewayUrl(): Promise<string>;
}

export interface ConnectOptions {
  /** How long the health probe waits. Default 800 ms. */
  timeoutMs?: number;
}

/**
 * The platform's API when one is up, else null: `SWITCHBOARD_URL` (which must answer: a set URL that does not
 * is an error, not a silent fallback), otherwise the api of this machine's config (`server.api_port`). The key
 * is `SWITCHBOARD_KEY`, else the config's admin key, else its shared key (a CLI on the platform's machine reads
 * the same config). Commands that need the embedded database (held by a running `npm start`) go through this.
 */
export async function connectPlatform(env: NodeJS.ProcessEnv, config: SwitchboardConfig, options: ConnectOptions = {}): Promise<PlatformClient | null> {
  const explicit = env.SWITCHBOARD_URL?.trim();
  const url = (explicit || localApiUrl(config)).replace(/\/+$/, '');
  const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(options.timeoutMs ?? 800) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) {
    if (explicit) throw new Error(`SWITCHBOARD_URL=${url} does not answer (${url}/healthz); start the platform or unset SWITCHBOARD_URL to work without it`);
    return null;
  }
  const key = env.SWITCHBOARD_KEY?.trim() || config.auth.admin_key || config.auth.api_key;
  const open = async (target: string, o: OpenOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...o.headers };
    if (key) headers.authorization = `Bearer ${key}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(target, {
      method: o.method ?? 'GET',
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (!response.ok) throw await errorOf(response, target);
    return response;
  };
  let gateway: Promise<string> | null = null;
  return {
    url,
    open,
    async request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
      const text = await (await open(`${url}${path}`, { method, body })).text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    gatewayUrl() {
      const set = env.SWITCHBOARD_GATEWAY_URL?.trim();
      if (set) return Promise.resolve(set.replace(/\/+$/, '').replace(/\/v1$/, ''));
      // The api knows the port its gateway listens on (the web app asks the same route); asked once per command.
      gateway ??= open(`${url}/api/config`).then(async (r) => ((await r.json()) as WebConfig).gateway_url);
      return gateway;
    },
  };
}

/** The platform's error (OpenAI's shape on the API and the gateway alike) as one line that says what to do. */
async function errorOf(response: Response, target: string): Promise<PlatformApiError> {
  const text = await response.text().catch(() => '');
  let error: { message?: string; type?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { message?: string; type?: string } }).error;
  } catch {
    error = undefined;
  }
  const hint =
    response.status === 401
      ? ' (set SWITCHBOARD_KEY to a key of the platform)'
      : response.status === 403
        ? ' (this needs an admin key: set SWITCHBOARD_KEY to one)'
        : '';
  return new PlatformApiError(response.status, error?.type ?? 'error', `${target}: ${error?.message ?? `HTTP ${response.status}`}${hint}`);
}

/** This machine's api, as the config says it listens. */
export function localApiUrl(config: SwitchboardConfig): string {
  return `http://${loopbackHost(config.server.host)}:${config.server.api_port}`;
}

function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
