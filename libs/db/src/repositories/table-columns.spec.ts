import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { readSchemaModels, scalarFields, schemaPath } from '../../test/support/prisma-schema.js';
import { Prisma as MysqlPrisma } from '../generated/mysql/client.js';
import { Prisma as PostgresPrisma } from '../generated/postgresql/client.js';
import { type ColumnKind, conversationTable, messageTable, providerCallTable, runTable } from './table-columns.js';

// The column lists are also checked by the compiler against the generated model types; this checks them
// against what the compiler cannot see: the generated clients' field lists at run time and the schema file.
const tables = [conversationTable, messageTable, runTable, providerCallTable];

const KIND_OF_SCHEMA_TYPE: Record<string, ColumnKind> = {
  String: 'text',
  Int: 'int',
  BigInt: 'bigint',
  Decimal: 'decimal',
  Boolean: 'boolean',
  DateTime: 'datetime',
  Json: 'json',
};

describe.each(tables.map((t) => [t.model, t] as const))('the %s column list', (model, table) => {
  const names = table.columns.map((c) => c.name);

  it("names every scalar field of both generated clients, in the schema's order", () => {
    for (const prisma of [PostgresPrisma, MysqlPrisma]) {
      const fields = (prisma as unknown as Record<string, Record<string, string> | undefined>)[`${model}ScalarFieldEnum`];
      expect(fields).toBeDefined();
      expect(names).toEqual(Object.values(fields!));
    }
  });

  it("gives each column the kind and nullability of its field in prisma/schema.prisma", () => {
    const schemaModel = readSchemaModels().find((m) => m.name === model);
    expect(schemaModel).toBeDefined();
    const expected = scalarFields(schemaModel!).map((f) => ({ name: f.name, kind: KIND_OF_SCHEMA_TYPE[f.type] ?? `unsupported ${f.type}`, nullable: f.optional }));
    expect(table.columns).toEqual(expected);
  });
});

it('relies on table and column names being the model and field names', () => {
  // The INSERTs use the model and field names as they are; @map or @@map would need them carried over.
  expect(readFileSync(schemaPath(), 'utf8').replace(/\/\/.*$/gm, '')).not.toMatch(/@@?map\(/);
});
