import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A model as a fake local server lists it. */
export interface FakeLocalModel {
  name: string;
  sizeBytes: number;
  quantization: string;
  parameters: string;
}

export interface FakeLocalServer {
  /** Base URL, without a path (Docker Model Runner and Ollama are configured that way). */
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for Docker Model Runner on loopback: `GET /models` answers like DMR's native API (tags and a
 * GGUF config whose size is text, "1.23 GiB"), `GET /engines/v1/models` like its OpenAI-compatible one.
 * `nativeApi: false` serves only the OpenAI-compatible list (as a proxy in front of DMR may).
 */
export function startFakeDockerModelRunner(models: FakeLocalModel[], options: { nativeApi?: boolean } = {}): Promise<FakeLocalServer> {
  return serve((path, res) => {
    if (path === '/models' && options.nativeApi !== false) {
      return json(
        res,
        models.map((m, i) => ({
          id: `sha256:${String(i).padStart(64, '0')}`,
          tags: [m.name],
          created: 1742816981,
          config: { format: 'gguf', quantization: m.quantization, parameters: m.parameters, architecture: 'llama', size: `${(m.sizeBytes / 1024 ** 2).toFixed(2)} MiB` },
        })),
      );
    }
    if (path === '/engines/v1/models') return json(res, { object: 'list', data: models.map((m) => ({ id: m.name, object: 'model', created: 1742816981, owned_by: 'docker' })) });
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
}

/** A stand-in for Ollama on loopback: `GET /api/tags` as Ollama answers it (size in bytes, details). */
export function startFakeOllama(models: FakeLocalModel[]): Promise<FakeLocalServer> {
  return serve((path, res) => {
    if (path === '/api/tags') {
      return json(res, {
        models: models.map((m) => ({
          name: m.name,
          model: m.name,
          modified_at: '2025-01-01T00:00:00Z',
          size: m.sizeBytes,
          digest: 'f'.repeat(64),
          details: { format: 'gguf', family: 'llama', parameter_size: m.parameters, quantization_level: m.quantization },
        })),
      });
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  });
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function serve(handle: (path: string, res: ServerResponse) => void): Promise<FakeLocalServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    handle(path, res);
  });
  return { requests, ...(await listenOnLoopback(server)) };
}

/** Listens on a free loopback port; `close` also ends open connections (a hanging download, say). */
export async function listenOnLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
