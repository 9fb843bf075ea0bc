import { switchboardConfigSchema } from '@switchboard/contracts';
import { type z } from 'zod';
import { type LoadContext } from './load-context.js';
import { didYouMean, isSecretPath, showChoices, showValue } from './problem-text.js';
import { type ConfigPath, knownKeys } from './schema-walk.js';

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** "a number > 0", "at least 1 item(s)". */
function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = String(small ? issue.minimum : issue.maximum);
  if (issue.origin === 'string') return `${small ? 'at least' : 'at most'} ${limit} character(s)`;
  if (issue.origin === 'array' || issue.origin === 'set') return `${small ? 'at least' : 'at most'} ${limit} item(s)`;
  const inclusive = issue.inclusive !== false;
  return `a number ${small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${limit}`;
}

/** What one issue expected, in words; used alone and for each branch of a union. */
function expectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return TYPE_NAMES[issue.expected] ?? issue.expected;
  if (issue.code === 'invalid_value') return showChoices(issue.values);
  if (issue.code === 'too_small' || issue.code === 'too_big') return bound(issue);
  // Patterns carry their own plain-words message in the schema (what a provider name may contain).
  if (issue.code === 'invalid_format') return issue.format === 'regex' ? issue.message : `a valid ${issue.format}`;
  return issue.message;
}

/** One readable line per zod issue, in the config's own path notation, with where the value came from. */
export function reportIssues(issues: readonly Issue[], ctx: LoadContext): void {
  const pathOf = (issue: Issue): ConfigPath => issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  // In file order, so a person fixes them top to bottom; values from env or defaults come last.
  const lineOf = (issue: Issue): number => ctx.lineOf(pathOf(issue)) ?? Infinity;
  const ordered = [...issues].sort((a, b) => (lineOf(a) === lineOf(b) ? 0 : lineOf(a) - lineOf(b)));
  for (const issue of ordered) {
    const path = pathOf(issue);
    const got = (value: unknown): string => showValue(value, isSecretPath(path));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        ctx.report([...path, key], `unknown key${didYouMean(key, knownKeys(switchboardConfigSchema, path, issue.input))}`);
      }
    } else if (issue.code === 'invalid_union') {
      reportUnion(issue, path, got, ctx);
    } else if (issue.input === undefined && issue.code === 'invalid_type') {
      ctx.report(path, `required, expected ${expectation(issue)}, got nothing`);
    } else if (issue.code === 'invalid_value') {
      ctx.report(path, `expected ${expectation(issue)}, got ${got(issue.input)}${didYouMean(issue.input, issue.values)}`);
    } else if (['invalid_type', 'too_small', 'too_big', 'invalid_format'].includes(issue.code)) {
      ctx.report(path, `expected ${expectation(issue)}, got ${got(issue.input)}`);
    } else {
      ctx.report(path, issue.message);
    }
  }
}

function reportUnion(issue: z.core.$ZodIssueInvalidUnion, path: ConfigPath, got: (v: unknown) => string, ctx: LoadContext): void {
  // A discriminated union (providers[].type) puts the discriminator on the path and the whole entry in input.
  const withDiscriminator = issue as z.core.$ZodIssueInvalidUnion & { discriminator?: string; options?: unknown[] };
  if (withDiscriminator.discriminator !== undefined && withDiscriminator.options) {
    const input: unknown = issue.input;
    const found =
      input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[withDiscriminator.discriminator] : input;
    const choices = showChoices(withDiscriminator.options);
    if (found === undefined) ctx.report(path, `required, expected ${choices}, got nothing`);
    else ctx.report(path, `expected ${choices}, got ${got(found)}${didYouMean(found, withDiscriminator.options)}`);
    return;
  }
  const branches = issue.errors.map((branch) => (branch[0] ? expectation(branch[0]) : 'another form'));
  ctx.report(path, `expected ${[...new Set(branches)].join(' or ')}, got ${got(issue.input)}`);
}
