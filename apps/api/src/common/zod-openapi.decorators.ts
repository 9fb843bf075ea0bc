import { Body, Query } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { apiErrorSchema } from '@switchboard/contracts';
import { type z } from 'zod';
import { type OpenApiSchema, toOpenApiSchema } from '../openapi/zod-json-schema.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/**
 * One decorator per request part that both validates it (ZodValidationPipe) and documents it in OpenAPI from
 * the same zod schema, so the docs cannot drift from what the API accepts.
 */

/** The validated request body. */
export function ZodBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Body(new ZodValidationPipe(schema, 'body'))(target, key, index);
    document(target, key, ApiBody({ required: true, schema: toOpenApiSchema(schema, 'input') }));
  };
}

/** The validated query string; each top-level key is documented as a query parameter. */
export function ZodQuery(schema: z.ZodObject): ParameterDecorator {
  return (target, key, index) => {
    Query(new ZodValidationPipe(schema, 'query'))(target, key, index);
    const json = toOpenApiSchema(schema, 'input') as { properties?: Record<string, OpenApiSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const required = json.required?.includes(name) ?? false;
      document(target, key, ApiQuery({ name, required, schema: property }));
    }
  };
}

/** A documented response, plus the error body for the given error statuses. */
export function ZodResponse(status: number, schema: z.ZodType | null, errors: number[] = []): MethodDecorator {
  return (target, key, descriptor) => {
    ApiResponse(
      schema ? { status, description: 'OK', schema: toOpenApiSchema(schema, 'output') } : { status, description: 'No content' },
    )(target, key, descriptor);
    const errorSchema = toOpenApiSchema(apiErrorSchema, 'output');
    for (const errorStatus of errors) {
      ApiResponse({ status: errorStatus, description: 'Error', schema: errorSchema })(target, key, descriptor);
    }
  };
}

function document(target: object, key: string | symbol | undefined, decorator: MethodDecorator): void {
  if (key === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor) decorator(target, key, descriptor);
}
