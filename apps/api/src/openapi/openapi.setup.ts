import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { registerSwaggerUi } from './swagger-ui.routes.js';
import { openApiComponents } from './zod-json-schema.js';

export const DOCS_PATH = '/api/docs';
export const DOCS_JSON_PATH = '/api/docs-json';

/**
 * OpenAPI at /api/docs (UI) and /api/docs-json. Request and response schemas come from the zod schemas of
 * libs/contracts through the Zod* decorators, so the document describes exactly what is validated.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Switchboard API')
    .setDescription(
      'REST API for people and admins: agents, conversations, messages and API keys. ' +
        'Authenticate with "Authorization: Bearer <key>". Errors are OpenAI-shaped, as on /v1: { error: { message, type, param, code, details? } }.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...openApiComponents() } };
  SwaggerModule.setup(DOCS_PATH, app, document, { ui: false, raw: ['json'], jsonDocumentUrl: DOCS_JSON_PATH });
  registerSwaggerUi(app.getHttpAdapter().getInstance(), DOCS_PATH, DOCS_JSON_PATH);
}
