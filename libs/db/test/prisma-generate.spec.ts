// scripts/prisma-generate.mjs derives the MySQL schema from prisma/schema.prisma; no hand-kept second copy.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { schemaPath } from './support/prisma-schema.js';

const repoRoot = path.dirname(path.dirname(schemaPath()));
const script = path.join(repoRoot, 'scripts', 'prisma-generate.mjs');
const load = async () => (await import(pathToFileURL(script).href)) as { deriveMysqlSchema(source: string): string };

describe('prisma-generate: the derived MySQL schema', () => {
  const source = readFileSync(schemaPath(), 'utf8');

  it('swaps the provider and output, and maps every Text column to LongText', async () => {
    const { deriveMysqlSchema } = await load();
    const mysql = deriveMysqlSchema(source);
    expect(mysql).toMatch(/datasource db \{\s*provider = "mysql"/);
    expect(mysql).toMatch(/output\s+= "\.\/mysql"/);
    const code = (text: string) => text.replace(/\/\/.*$/gm, '');
    const textColumns = code(source).match(/@db\.Text\b/g)?.length ?? 0;
    expect(textColumns).toBeGreaterThanOrEqual(6);
    expect(code(mysql)).not.toMatch(/@db\.Text\b/);
    expect(code(mysql).match(/@db\.LongText\b/g)).toHaveLength(textColumns);
    // Everything else is untouched.
    const body = mysql.replace(/^\/\/ GENERATED.*\n/, '');
    const back = body.replace(/@db\.LongText$/gm, '@db.Text').replace('provider = "mysql"', 'provider = "postgresql"');
    expect(back.replace('"./mysql"', '"../libs/db/src/generated/postgresql"')).toBe(source);
  });

  it('refuses a PostgreSQL-only native type instead of guessing', async () => {
    const { deriveMysqlSchema } = await load();
    expect(() => deriveMysqlSchema(source.replace('id                 String         @id @db.VarChar(36)', 'id String @id @db.Uuid'))).toThrow(/@db\.Uuid/);
  });

  it('matches what was generated at install (run `node scripts/prisma-generate.mjs` after editing the schema)', async () => {
    const { deriveMysqlSchema } = await load();
    const generated = path.join(repoRoot, 'libs', 'db', 'src', 'generated', 'schema.mysql.prisma');
    expect(existsSync(generated)).toBe(true);
    expect(readFileSync(generated, 'utf8')).toBe(deriveMysqlSchema(source));
  });
});
