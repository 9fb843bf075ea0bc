import type { SwitchboardConfig } from '@switchboard/contracts';

/** An error answer of the platform's API, with its status and the API's own message. */
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

/** The running platform's REST API, as the CLI talks to it. */
export interface PlatformClient {
  readonly url: string;
  request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
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
  const url = (explicit || `http://${loopbackHost(config.server.host)}:${config.server.api_port}`).replace(/\/+$/, '');
  const up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(options.timeoutMs ?? 800) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) {
    if (explicit) throw new Error(`SWITCHBOARD_URL=${url} does not answer (${url}/healthz); start the platform or unset SWITCHBOARD_URL to work without it`);
    return null;
  }
  const key = env.SWITCHBOARD_KEY?.trim() || config.auth.admin_key || config.auth.api_key;
  return {
    url,
    async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      const json = text ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) {
        const error = (json as { error?: { message?: string; type?: string } } | undefined)?.error;
        const hint = response.status === 401 || response.status === 403 ? ' (set SWITCHBOARD_KEY to an admin key of the platform)' : '';
        throw new PlatformApiError(response.status, error?.type ?? 'error', `${url}${path}: ${error?.message ?? `HTTP ${response.status}`}${hint}`);
      }
      return json as T;
    },
  };
}

function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
