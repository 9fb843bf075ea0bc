import { expect } from '@jest/globals';
import { ToolError } from '../../src/tool.js';

/** The message of the ToolError `promise` fails with; fails the test if it resolves or fails otherwise. */
export async function toolError(promise: Promise<string>): Promise<string> {
  const error = await promise.then(
    (value) => new Error(`resolved instead of failing: ${value}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  return (error as ToolError).message;
}
