// The hand-written migrations must create exactly what prisma/schema.prisma describes (`prisma migrate diff`
// cannot run here, so this is the drift check): after migrating a fresh database on each backend, its tables,
// columns, types, nullability, defaults, indexes (with Prisma's names) and foreign keys are compared with the
// schema.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BackendName } from './support/backends.js';
import { readSchemaModels, scalarFields, type SchemaField, type SchemaModel } from './support/prisma-schema.js';
import { createRawTestDatabase, type RawQuery, type RawTestDatabase, type Row } from './support/raw-sql.js';

interface Column {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}
interface Index {
  table: string;
  name: string;
  columns: string[];
  unique: boolean;
}
interface ForeignKey {
  table: string;
  name: string;
  column: string;
  refTable: string;
  refColumn: string;
  onDelete: string;
  onUpdate: string;
}

/** The column type each backend must report for a schema field. */
function expectedType(field: SchemaField, dialect: 'postgresql' | 'mysql'): string[] {
  const n = field.native;
  if (dialect === 'postgresql') {
    switch (field.type) {
      case 'String':
        return n?.type === 'VarChar' ? [`character varying(${n.args[0]})`] : ['text'];
      case 'Int':
        return ['integer'];
      case 'BigInt':
        return ['bigint'];
      case 'Decimal':
        return [`numeric(${n?.args.join(',') ?? '65,30'})`];
      case 'DateTime':
        return ['timestamp without time zone(3)'];
      case 'Boolean':
        return ['boolean'];
      case 'Json':
        return ['jsonb'];
      default:
        throw new Error(`no expectation for ${field.type}`);
    }
  }
  switch (field.type) {
    case 'String':
      return n?.type === 'VarChar' ? [`varchar(${n.args[0]})`] : ['longtext'];
    case 'Int':
      return ['int'];
    case 'BigInt':
      return ['bigint'];
    case 'Decimal':
      return [`decimal(${n?.args.join(',') ?? '65,30'})`];
    case 'DateTime':
      return ['datetime(3)'];
    case 'Boolean':
      return ['tinyint'];
    case 'Json':
      // MariaDB's JSON is an alias of LONGTEXT with a json_valid check; MySQL has a real JSON type.
      return ['json', 'longtext'];
    default:
      throw new Error(`no expectation for ${field.type}`);
  }
}

const RULES: Record<string, string> = { Cascade: 'CASCADE', SetNull: 'SET NULL', Restrict: 'RESTRICT', NoAction: 'NO ACTION' };

async function introspect(query: RawQuery, dialect: 'postgresql' | 'mysql') {
  const s = (v: unknown) => String(v);
  if (dialect === 'postgresql') {
    const columns = (
      await query(`SELECT table_name AS t, column_name AS c, data_type AS dt, character_maximum_length AS len, numeric_precision AS p,
          numeric_scale AS sc, datetime_precision AS dp, is_nullable AS n, column_default AS d
        FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`)
    ).map(
      (r: Row): Column => ({
        table: s(r['t']),
        column: s(r['c']),
        type:
          r['dt'] === 'character varying'
            ? `character varying(${s(r['len'])})`
            : r['dt'] === 'numeric'
              ? `numeric(${s(r['p'])},${s(r['sc'])})`
              : r['dt'] === 'timestamp without time zone'
                ? `timestamp without time zone(${s(r['dp'])})`
                : s(r['dt']),
        nullable: r['n'] === 'YES',
        hasDefault: r['d'] !== null,
      }),
    );
    const indexes = (
      await query(`SELECT t.relname AS t, i.relname AS name, ix.indisunique AS u,
          array_to_string(array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS cols
        FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = current_schema() AND t.relname <> '_prisma_migrations'`)
    ).map((r: Row): Index => ({ table: s(r['t']), name: s(r['name']), columns: s(r['cols']).split(','), unique: r['u'] === true }));
    const foreignKeys = (
      await query(`SELECT rc.constraint_name AS name, kcu.table_name AS t, kcu.column_name AS c, ccu.table_name AS rt,
          ccu.column_name AS rc, rc.delete_rule AS del, rc.update_rule AS upd
        FROM information_schema.referential_constraints rc
        JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema
        JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.constraint_name AND ccu.constraint_schema = rc.constraint_schema
        WHERE rc.constraint_schema = current_schema()`)
    ).map(
      (r: Row): ForeignKey => ({ table: s(r['t']), name: s(r['name']), column: s(r['c']), refTable: s(r['rt']), refColumn: s(r['rc']), onDelete: s(r['del']), onUpdate: s(r['upd']) }),
    );
    return { columns, indexes, foreignKeys, collations: [] as string[] };
  }
  const columns = (
    await query(`SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS ct, DATA_TYPE AS dt, IS_NULLABLE AS n, COLUMN_DEFAULT AS d
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations'`)
  ).map((r: Row): Column => {
    const dt = s(r['dt']).toLowerCase();
    const ct = s(r['ct']).toLowerCase().replace(/\s/g, '');
    return {
      table: s(r['t']),
      column: s(r['c']),
      type: ['varchar', 'decimal', 'datetime'].includes(dt) ? ct : dt,
      nullable: r['n'] === 'YES',
      // MariaDB reports the default of a nullable column without one as the string 'NULL'.
      hasDefault: r['d'] !== null && r['d'] !== 'NULL',
    };
  });
  const statRows = await query(`SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS nu, SEQ_IN_INDEX AS seq, COLUMN_NAME AS c
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations' ORDER BY t, name, seq`);
  const byName = new Map<string, Index>();
  for (const r of statRows) {
    const id = `${s(r['t'])}.${s(r['name'])}`;
    const index = byName.get(id) ?? { table: s(r['t']), name: s(r['name']), columns: [], unique: Number(r['nu']) === 0 };
    index.columns.push(s(r['c']));
    byName.set(id, index);
  }
  const foreignKeys = (
    await query(`SELECT rc.CONSTRAINT_NAME AS name, rc.TABLE_NAME AS t, kcu.COLUMN_NAME AS c, rc.REFERENCED_TABLE_NAME AS rt,
        kcu.REFERENCED_COLUMN_NAME AS rc, rc.DELETE_RULE AS del, rc.UPDATE_RULE AS upd
      FROM information_schema.REFERENTIAL_CONSTRAINTS rc
      JOIN information_schema.KEY_COLUMN_USAGE kcu ON kcu.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA
        AND kcu.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND kcu.TABLE_NAME = rc.TABLE_NAME
      WHERE rc.CONSTRAINT_SCHEMA = DATABASE()`)
  ).map(
    (r: Row): ForeignKey => ({ table: s(r['t']), name: s(r['name']), column: s(r['c']), refTable: s(r['rt']), refColumn: s(r['rc']), onDelete: s(r['del']), onUpdate: s(r['upd']) }),
  );
  const collations = (
    await query(`SELECT TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations'`)
  ).map((r) => s(r['c']));
  return { columns, indexes: [...byName.values()], foreignKeys, collations };
}

function expectedIndexes(model: SchemaModel, dialect: 'postgresql' | 'mysql'): Index[] {
  const id = model.fields.find((f) => f.id);
  if (!id) throw new Error(`${model.name} has no @id`);
  const primary = { table: model.name, name: dialect === 'postgresql' ? `${model.name}_pkey` : 'PRIMARY', columns: [id.name], unique: true };
  return [primary, ...model.indexes.map((i) => ({ table: model.name, ...i }))];
}

function expectedForeignKeys(model: SchemaModel): ForeignKey[] {
  return model.fields.flatMap((f) =>
    f.relation
      ? f.relation.fields.map((column, i) => ({
          table: model.name,
          name: `${model.name}_${f.relation!.fields.join('_')}_fkey`,
          column,
          refTable: f.type,
          refColumn: f.relation!.references[i]!,
          onDelete: RULES[f.relation!.onDelete] ?? f.relation!.onDelete,
          onUpdate: 'CASCADE',
        }))
      : [],
  );
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function schemaDrift(backend: BackendName): void {
  describe(`migrations on ${backend} match prisma/schema.prisma`, () => {
    const dialect = backend === 'mysql' ? 'mysql' : 'postgresql';
    const models = readSchemaModels();
    let testDb: RawTestDatabase;
    let actual: Awaited<ReturnType<typeof introspect>>;

    beforeAll(async () => {
      testDb = await createRawTestDatabase(backend);
      await testDb.migrate();
      actual = await testDb.sql((query) => introspect(query, dialect));
    }, 60_000);
    afterAll(async () => {
      await testDb?.drop();
    }, 60_000);

    it('has one table per model and one column per scalar field, with matching type, nullability and default', () => {
      const expected: Column[] = models.flatMap((m) =>
        scalarFields(m).map((f) => {
          const types = expectedType(f, dialect);
          const got = actual.columns.find((c) => c.table === m.name && c.column === f.name);
          return { table: m.name, column: f.name, type: got && types.includes(got.type) ? got.type : types[0]!, nullable: f.optional, hasDefault: f.hasDefault };
        }),
      );
      const order = byKey<Column>((c) => `${c.table}.${c.column}`);
      expect([...actual.columns].sort(order)).toEqual(expected.sort(order));
    });

    it("has exactly the schema's indexes, under Prisma's names", () => {
      const order = byKey<Index>((i) => `${i.table}.${i.name}`);
      expect([...actual.indexes].sort(order)).toEqual(models.flatMap((m) => expectedIndexes(m, dialect)).sort(order));
    });

    it("has exactly the schema's foreign keys and referential actions", () => {
      const order = byKey<ForeignKey>((k) => `${k.table}.${k.name}.${k.column}`);
      expect([...actual.foreignKeys].sort(order)).toEqual(models.flatMap(expectedForeignKeys).sort(order));
    });

    if (backend === 'mysql') {
      it('stores text as utf8mb4 with exact (binary) comparison in every table', () => {
        expect(actual.collations).toHaveLength(models.length);
        expect(new Set(actual.collations)).toEqual(new Set(['utf8mb4_bin']));
      });
    }
  });
}

schemaDrift('pglite');
schemaDrift('postgresql');
schemaDrift('mysql');
