import { type z } from 'zod';
import { ToolError } from '../tool.js';

/**
 * Validates a tool's arguments with its zod schema. Models get argument shapes wrong often enough that the
 * answer must say which argument is wrong and how, so the next step can fix it.
 */
export function parseToolArgs<S extends z.ZodType>(toolName: string, schema: S, args: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'arguments';
    return `${where}: ${issue.message}`;
  });
  throw new ToolError(`invalid arguments for ${toolName}: ${problems.join('; ')}`);
}
