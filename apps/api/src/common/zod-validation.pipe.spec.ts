import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ApiError } from './api-error.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

describe('ZodValidationPipe', () => {
  const schema = z.strictObject({ name: z.string().min(1), limit: z.coerce.number().int().default(20), nested: z.object({ n: z.number() }).optional() });
  const pipe = new ZodValidationPipe(schema, 'body');

  it('returns the parsed value with defaults and coercion', () => {
    expect(pipe.transform({ name: 'a', limit: '5' })).toEqual({ name: 'a', limit: 5 });
    expect(pipe.transform({ name: 'a' })).toEqual({ name: 'a', limit: 20 });
  });

  it('throws a 400 listing every field error, one per unknown key', () => {
    let caught: unknown;
    try {
      pipe.transform({ name: '', nested: { n: 'x' }, extra: 1, more: 2 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    const error = caught as ApiError;
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.details?.map((d) => d.path).sort()).toEqual(['extra', 'more', 'name', 'nested.n']);
    expect(error.message).toMatch(/^Invalid request body: .+ \(and 3 more\)$/);
  });

  it('reports a missing body at the root path', () => {
    expect(() => pipe.transform(undefined)).toThrow(/Invalid request body: /);
  });
});
