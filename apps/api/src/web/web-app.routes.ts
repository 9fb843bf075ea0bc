import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** Where `npm run build` puts the web app (apps/web/dist), seen from this file in src/ or dist/. */
export const DEFAULT_WEB_DIR = path.resolve(import.meta.dirname, '../../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
/** Vite names every file under assets/ by its content hash: a new build is a new name, so they never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed assets: always revalidated, so a new build is picked up at once. */
const REVALIDATE = 'no-cache';

interface WebFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/**
 * The web app at `/`: the built files of apps/web, every other path (not /api, not /socket.io) answered with
 * index.html so the app's own router handles deep links and reloads. Files are read once and kept, gzipped
 * when that helps: a build never changes while the api runs. (Not @fastify/static: it cannot load under Jest's
 * module loader, see swagger-ui.routes.ts, and a few immutable files need none of its features.)
 */
export function registerWebApp(fastify: FastifyInstance, webDir: string = DEFAULT_WEB_DIR): void {
  const root = path.resolve(webDir);
  const cache = new Map<string, Promise<WebFile | null>>();
  const load = (file: string): Promise<WebFile | null> => {
    let entry = cache.get(file);
    if (!entry) {
      entry = readWebFile(file);
      cache.set(file, entry);
    }
    return entry;
  };
  const send = (request: FastifyRequest, reply: FastifyReply, file: WebFile, cacheControl: string): FastifyReply => {
    void reply.type(file.type).header('cache-control', cacheControl).header('vary', 'accept-encoding');
    const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (file.gzip && accepts) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };

  fastify.get('/*', async (request, reply) => {
    const urlPath = decodePath(request.url.split('?')[0] ?? '/');
    if (urlPath === null || urlPath.startsWith('/api/') || urlPath === '/api' || urlPath.startsWith('/socket.io')) {
      return reply.code(404).send({ error: { message: `Cannot GET ${request.url.split('?')[0]}`, type: 'not_found_error' } });
    }
    const index = await load(path.join(root, 'index.html'));
    if (!index) {
      return reply.code(404).send({ error: { message: 'The web app is not built: run `npm run build` (it builds apps/web).', type: 'not_found_error' } });
    }
    const target = path.resolve(root, `.${urlPath}`);
    if (urlPath !== '/' && target.startsWith(root + path.sep)) {
      const file = await load(target);
      if (file) return send(request, reply, file, target.startsWith(path.join(root, 'assets') + path.sep) ? IMMUTABLE : REVALIDATE);
      // A missing asset is a 404, not the app: a stale page asking for an old bundle should see it failed.
      if (path.extname(urlPath) !== '') return reply.code(404).send({ error: { message: `No file ${urlPath}`, type: 'not_found_error' } });
    }
    return send(request, reply, index, REVALIDATE);
  });
}

async function readWebFile(file: string): Promise<WebFile | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  const body = await readFile(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  return { body, gzip: compressible ? gzipSync(body) : null, type };
}

/** The URL path decoded, or null when it cannot be (bad escapes, NUL bytes). */
function decodePath(raw: string): string | null {
  try {
    const decoded = decodeURIComponent(raw);
    return decoded.includes('\0') ? null : decoded;
  } catch {
    return null;
  }
}
