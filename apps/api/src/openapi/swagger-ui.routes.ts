import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type FastifyInstance } from 'fastify';

/**
 * Swagger UI at /api/docs, served from swagger-ui-dist (the copy @nestjs/swagger depends on). Nest's own UI
 * route serves these files through @fastify/static, which cannot load under Jest's module loader (it requires
 * an ESM-only package); three known files need no static-file plugin anyway.
 */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

export function registerSwaggerUi(fastify: FastifyInstance, docsPath: string, jsonPath: string): void {
  const dir = swaggerUiDistDir();
  const cache = new Map<string, Buffer>();
  fastify.get(docsPath, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html(docsPath, jsonPath)));
  fastify.get(`${docsPath}/:asset`, async (request, reply) => {
    const { asset } = request.params as { asset: string };
    const type = Object.hasOwn(assets, asset) ? assets[asset] : undefined;
    if (!type) return reply.code(404).send({ error: { message: 'Not found', type: 'not_found_error', param: null, code: null } });
    let body = cache.get(asset);
    if (!body) {
      body = await readFile(path.join(dir, asset));
      cache.set(asset, body);
    }
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(body);
  });
}

function swaggerUiDistDir(): string {
  const nestSwagger = createRequire(import.meta.url).resolve('@nestjs/swagger');
  return path.dirname(createRequire(nestSwagger).resolve('swagger-ui-dist/package.json'));
}

function html(docsPath: string, jsonPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Switchboard API</title>
  <link rel="stylesheet" href="${docsPath}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${docsPath}/swagger-ui-bundle.js"></script>
  <script src="${docsPath}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(jsonPath)},
      dom_id: '#swagger-ui',
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
      persistAuthorization: true,
    });
  </script>
</body>
</html>`;
}
