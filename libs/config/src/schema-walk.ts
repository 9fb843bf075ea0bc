import { type z } from 'zod';

/**
 * Just enough introspection of the zod schema to answer the loader's questions about a key path: does it
 * exist, which keys sit beside it, does it hold text, a list or a section. zod 4 keeps a schema's definition
 * in `_zod.def`; only the wrapper kinds the config schema uses are followed.
 */

type AnySchema = z.core.$ZodType;
export type ConfigPath = readonly (string | number)[];

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: readonly AnySchema[];
  valueType?: AnySchema;
  discriminator?: string;
}

const defOf = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

/** Strips default/optional/transform wrappers down to the schema that checks the value as written. */
function unwrap(schema: AnySchema): AnySchema[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return def.innerType ? unwrap(def.innerType) : [];
    case 'pipe':
      return def.in ? unwrap(def.in) : [];
    case 'union':
      return (def.options ?? []).flatMap(unwrap);
    default:
      return [schema];
  }
}

function children(schema: AnySchema, segment: string | number): AnySchema[] {
  const def = defOf(schema);
  if (def.type === 'object' && typeof segment === 'string') {
    const child = def.shape?.[segment];
    return child ? unwrap(child) : [];
  }
  if (def.type === 'array' && typeof segment === 'number') return def.element ? unwrap(def.element) : [];
  if (def.type === 'record' && typeof segment === 'string') return def.valueType ? unwrap(def.valueType) : [];
  return [];
}

/** Every schema a path can lead to (several where a union offers several shapes). Empty: no such key. */
export function schemasAt(root: AnySchema, path: ConfigPath): AnySchema[] {
  let current = unwrap(root);
  for (const segment of path) current = current.flatMap((s) => children(s, segment));
  return current;
}

const kinds = (root: AnySchema, path: ConfigPath): Set<string> =>
  new Set(schemasAt(root, path).map((s) => defOf(s).type));

export const keyExists = (root: AnySchema, path: ConfigPath): boolean => schemasAt(root, path).length > 0;

/** True when the key takes free text, so a value that looks like a number (an API key "1234") stays text. */
export const expectsString = (root: AnySchema, path: ConfigPath): boolean => kinds(root, path).has('string');

export const expectsList = (root: AnySchema, path: ConfigPath): boolean => kinds(root, path).has('array');

/** A section (a mapping of settings) rather than a single value. */
export const expectsSection = (root: AnySchema, path: ConfigPath): boolean => {
  const k = kinds(root, path);
  return k.has('object') || k.has('record');
};

/**
 * The keys a strict object at `path` accepts. Where a discriminated union decides the shape (a provider's
 * `type`), the option matching `value`'s discriminator is used, else all options together.
 */
export function knownKeys(root: AnySchema, path: ConfigPath, value?: unknown): string[] {
  let objects = schemasAt(root, path).filter((s) => defOf(s).type === 'object');
  if (objects.length > 1 && value !== null && typeof value === 'object') {
    const matching = objects.filter((s) => {
      const shape = defOf(s).shape ?? {};
      return Object.entries(shape).some(
        ([key, field]) =>
          defOf(field).type === 'literal' &&
          (field._zod as { values?: Set<unknown> }).values?.has((value as Record<string, unknown>)[key]) === true,
      );
    });
    if (matching.length > 0) objects = matching;
  }
  return [...new Set(objects.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}
