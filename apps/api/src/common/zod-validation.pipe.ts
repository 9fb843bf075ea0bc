import { type PipeTransform } from '@nestjs/common';
import { type ApiErrorDetail } from '@switchboard/contracts';
import { type z } from 'zod';
import { ApiError } from './api-error.js';

/**
 * Validates one request part against a zod schema from libs/contracts and hands the parsed (defaulted,
 * coerced) value to the handler. Failures are 400s that list every field error with its path.
 */
export class ZodValidationPipe<T extends z.ZodType> implements PipeTransform<unknown, z.output<T>> {
  constructor(
    private readonly schema: T,
    private readonly part: 'body' | 'query',
  ) {}

  transform(value: unknown): z.output<T> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const details = issueDetails(result.error.issues);
    const first = details[0];
    const summary = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid';
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    throw ApiError.badRequest(`Invalid request ${this.part}: ${summary}${more}`, details);
  }
}

export function issueDetails(issues: readonly z.core.$ZodIssue[]): ApiErrorDetail[] {
  return issues.flatMap((issue) =>
    // One entry per unknown key, so each points at the key to remove.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: 'unknown field' }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}
