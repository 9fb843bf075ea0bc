import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findMigrationsRoot } from '../../src/index.js';

/**
 * A small reader of prisma/schema.prisma, enough to derive what the hand-written migrations must create:
 * columns (type, native type, nullability, default), indexes with Prisma's names, and foreign keys.
 * It reads the constructs this schema uses; an attribute it does not understand fails loudly.
 */
export interface SchemaField {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  native?: { type: string; args: number[] };
  hasDefault: boolean;
  id: boolean;
  unique: boolean;
  relation?: { fields: string[]; references: string[]; onDelete: string };
}

export interface SchemaModel {
  name: string;
  fields: SchemaField[];
  indexes: { name: string; columns: string[]; unique: boolean }[];
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Decimal', 'DateTime', 'Boolean', 'Json', 'Float']);

export function schemaPath(): string {
  return path.join(path.dirname(findMigrationsRoot()), 'schema.prisma');
}

export function readSchemaModels(file: string = schemaPath()): SchemaModel[] {
  const source = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const models: SchemaModel[] = [];
  for (const match of source.matchAll(/model\s+(\w+)\s*\{([^}]*)\}/g)) {
    const [, name, body] = match as unknown as [string, string, string];
    const model: SchemaModel = { name, fields: [], indexes: [] };
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      const block = /^@@(unique|index)\(\[([^\]]*)\]\)$/.exec(line);
      if (block) {
        const columns = block[2]!.split(',').map((c) => c.trim());
        const unique = block[1] === 'unique';
        model.indexes.push({ name: `${name}_${columns.join('_')}_${unique ? 'key' : 'idx'}`, columns, unique });
        continue;
      }
      if (line.startsWith('@@')) throw new Error(`prisma-schema reader: unsupported model attribute ${line}`);
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`prisma-schema reader: cannot read field line "${line}"`);
      const [, fieldName, type, list, optional, attrs] = field as unknown as [string, string, string, string | undefined, string | undefined, string];
      const native = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attrs);
      const relation = /@relation\(fields:\s*\[([^\]]*)\],\s*references:\s*\[([^\]]*)\](?:,\s*onDelete:\s*(\w+))?/.exec(attrs);
      const f: SchemaField = {
        name: fieldName,
        type,
        optional: optional === '?',
        list: list === '[]',
        hasDefault: /@default\(/.test(attrs),
        id: /@id\b/.test(attrs),
        unique: /@unique\b/.test(attrs),
        ...(native ? { native: { type: native[1]!, args: native[2] ? native[2].split(',').map((n) => Number(n.trim())) : [] } } : {}),
        ...(relation
          ? {
              relation: {
                fields: relation[1]!.split(',').map((s) => s.trim()),
                references: relation[2]!.split(',').map((s) => s.trim()),
                onDelete: relation[3] ?? (optional === '?' ? 'SetNull' : 'Restrict'),
              },
            }
          : {}),
      };
      model.fields.push(f);
      if (f.unique) model.indexes.push({ name: `${name}_${f.name}_key`, columns: [f.name], unique: true });
    }
    models.push(model);
  }
  if (models.length === 0) throw new Error(`prisma-schema reader: no models in ${file}`);
  return models;
}

export function scalarFields(model: SchemaModel): SchemaField[] {
  return model.fields.filter((f) => SCALARS.has(f.type) && !f.list);
}
