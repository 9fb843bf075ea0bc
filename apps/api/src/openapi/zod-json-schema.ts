import { z } from 'zod';

export type OpenApiSchema = Record<string, unknown>;

/**
 * Named schemas (those with `.meta({ id })` in libs/contracts) seen so far, as OpenAPI components. The Zod*
 * decorators fill it when the controllers load; setupOpenApi puts it into the document.
 */
const components = new Map<string, OpenApiSchema>();

export function openApiComponents(): Record<string, OpenApiSchema> {
  return Object.fromEntries(components);
}

/** A zod schema as an OpenAPI 3.0 schema, its named parts moved to components and referenced from there. */
export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output'): OpenApiSchema {
  const converted = z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' }) as OpenApiSchema;
  const { $schema: _dialect, definitions, ...json } = converted;
  for (const [name, definition] of Object.entries((definitions ?? {}) as Record<string, OpenApiSchema>)) {
    components.set(name, rewriteRefs(definition) as OpenApiSchema);
  }
  return rewriteRefs(json) as OpenApiSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? inner.replace('#/definitions/', '#/components/schemas/') : rewriteRefs(inner),
    ]),
  );
}
