import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { switchboardConfigSchema } from '@switchboard/contracts';
import { type z } from 'zod';

/**
 * Keeps docs/CONFIGURATION.md honest: every key of the schema has a row in the reference, under its section,
 * and the default that row shows is the schema's default.
 */

interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  options?: readonly z.core.$ZodType[];
}
interface Leaf {
  path: string[];
  /** The schema default, own or inherited from an enclosing section's default; undefined: none. */
  default: unknown;
}

function leaves(schema: z.core.$ZodType, path: string[], inherited: unknown): Leaf[] {
  const def = schema._zod.def as unknown as Def;
  switch (def.type) {
    case 'default':
      return leaves(def.innerType as z.core.$ZodType, path, def.defaultValue);
    case 'prefault':
      // A default given as input (parsed like a value from the file): the docs show what one would write.
      return leaves(def.innerType as z.core.$ZodType, path, def.defaultValue);
    case 'optional':
      return leaves(def.innerType as z.core.$ZodType, path, inherited);
    case 'pipe':
      return leaves(def.in as z.core.$ZodType, path, inherited);
    case 'union':
      return (def.options ?? []).flatMap((option) => leaves(option, path, inherited));
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([key, child]) =>
        leaves(child, [...path, key], inherited === undefined ? undefined : (inherited as Record<string, unknown>)[key]),
      );
    case 'array': {
      // A list of entries documents its entries' keys under `name[]`; a list of plain values is one key.
      const element = def.element as z.core.$ZodType;
      const kind = (element._zod.def as unknown as Def).type;
      if (kind !== 'object' && kind !== 'union') return [{ path, default: inherited }];
      return leaves(element, [...path.slice(0, -1), `${path[path.length - 1]}[]`], undefined);
    }
    default:
      return [{ path, default: inherited }];
  }
}

const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/CONFIGURATION.md'), 'utf8');
const reference = doc.slice(doc.indexOf('## Reference'));

/** The text of the reference section documenting a top-level key (a section, or one of the plain values). */
function sectionFor(top: string, isSection: boolean): string {
  const start = reference.indexOf(isSection ? `### \`${top}\`` : '### Top-level values');
  if (start < 0) return '';
  const next = reference.indexOf('\n### ', start + 1);
  return reference.slice(start, next < 0 ? undefined : next);
}

const shown = (value: unknown): string => `\`${typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value)}\``;

describe('docs/CONFIGURATION.md', () => {
  const all = leaves(switchboardConfigSchema, [], undefined);
  const unique = [...new Map(all.map((leaf) => [leaf.path.join('.'), leaf])).values()];

  it('has a reference row for every key, showing the schema default', () => {
    const missing: string[] = [];
    for (const leaf of unique) {
      const [top = '', ...rest] = leaf.path;
      const key = rest.length > 0 ? rest.join('.') : top;
      const section = sectionFor(top, rest.length > 0);
      const row = section.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      if (!row) {
        missing.push(`${leaf.path.join('.')}: no row`);
        continue;
      }
      const defaultCell = row.split(' | ')[2] ?? '';
      const expected = leaf.default === undefined ? /^(unset|—)$/ : new RegExp(`^${shown(leaf.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      if (!expected.test(defaultCell.trim())) missing.push(`${leaf.path.join('.')}: default cell "${defaultCell}", expected ${expected}`);
    }
    expect(missing).toEqual([]);
    expect(unique.length).toBeGreaterThan(50);
  });
});
