#!/usr/bin/env node
// Generates the two Prisma clients of libs/db (runs as the root `postinstall`, so it must work offline on a
// clean checkout):
//   libs/db/src/generated/postgresql  from prisma/schema.prisma (PostgreSQL and embedded PGlite)
//   libs/db/src/generated/mysql       from a MySQL schema derived here from the same file
// The MySQL schema is derived, never kept by hand: provider swap, @db.Text -> @db.LongText (MySQL TEXT holds
// only 64 KB), and a refusal of any PostgreSQL-only native type that has no mapping below.
//
// `prisma generate` never runs the native schema engine, but Prisma 7 insists that one exists and would try to
// download it (there is no network here). PRISMA_SCHEMA_ENGINE_BINARY points it at a stub instead, unless the
// caller already set it. Generation is skipped when neither the schema nor the Prisma version changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath rather than import.meta.dirname/filename: those need Node 20.11, the engines field allows 20.10.
const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const configPath = path.join(root, 'prisma', 'prisma.config.mjs');
const generatedDir = path.join(root, 'libs', 'db', 'src', 'generated');
const mysqlSchemaPath = path.join(generatedDir, 'schema.mysql.prisma');
const stampPath = path.join(generatedDir, '.stamp');

/** PostgreSQL native type -> MySQL native type. Types not listed here are refused. */
const nativeTypeMap = { VarChar: 'VarChar', Text: 'LongText', Decimal: 'Decimal' };

export function deriveMysqlSchema(source) {
  const unknown = new Set();
  const mapTypes = (code) =>
    code.replace(/@db\.([A-Za-z]+)/g, (_, type) => {
      const mapped = nativeTypeMap[type];
      if (!mapped) unknown.add(type);
      return `@db.${mapped ?? type}`;
    });
  // Comments are left alone: only the code part of each line (before a `//` that starts a comment) is mapped.
  let out = source
    .split('\n')
    .map((line) => {
      const comment = /(^|\s)\/\//.exec(line);
      return comment ? mapTypes(line.slice(0, comment.index)) + line.slice(comment.index) : mapTypes(line);
    })
    .join('\n');
  if (unknown.size > 0) {
    throw new Error(
      `prisma/schema.prisma uses native types with no MySQL mapping: ${[...unknown].map((t) => `@db.${t}`).join(', ')}. ` +
        `Add them to nativeTypeMap in scripts/prisma-generate.mjs or use a portable type.`,
    );
  }
  const swaps = [
    [/(datasource\s+db\s*\{[^}]*provider\s*=\s*)"postgresql"/, '$1"mysql"'],
    [/(generator\s+client\s*\{[^}]*output\s*=\s*)"[^"]*"/, '$1"./mysql"'],
  ];
  for (const [pattern, replacement] of swaps) {
    if (!pattern.test(out)) throw new Error(`prisma/schema.prisma: expected to find ${pattern} (datasource db / generator client)`);
    out = out.replace(pattern, replacement);
  }
  return `// GENERATED from prisma/schema.prisma by scripts/prisma-generate.mjs. Do not edit.\n${out}`;
}

function schemaEngineStub() {
  const dir = path.join(root, 'node_modules', '.cache', 'switchboard-prisma');
  mkdirSync(dir, { recursive: true });
  if (process.platform === 'win32') {
    const file = path.join(dir, 'schema-engine.cmd');
    writeFileSync(file, '@echo Switchboard applies migrations with its own runner (libs/db); no schema engine here. 1>&2\r\n@exit /b 1\r\n');
    return file;
  }
  const file = path.join(dir, 'schema-engine');
  writeFileSync(file, '#!/bin/sh\necho "Switchboard applies migrations with its own runner (libs/db); no schema engine here." >&2\nexit 1\n');
  chmodSync(file, 0o755);
  return file;
}

function generate(prismaCli, env, schema) {
  const args = [prismaCli, 'generate', '--config', configPath, '--no-hints'];
  if (schema) args.push('--schema', schema);
  const result = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
    throw new Error(`prisma generate failed for ${path.relative(root, schema ?? schemaPath)} (exit ${result.status ?? result.signal})`);
  }
}

function main() {
  const require = createRequire(import.meta.url);
  const prismaCli = require.resolve('prisma/build/index.js');
  const prismaVersion = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version;
  const source = readFileSync(schemaPath, 'utf8');
  const mysqlSchema = deriveMysqlSchema(source);

  const stamp = createHash('sha256')
    .update(`${prismaVersion}\n${source}\n${readFileSync(self, 'utf8')}`)
    .digest('hex');
  const force = process.argv.includes('--force');
  const complete = ['postgresql/client.ts', 'mysql/client.ts'].every((f) => existsSync(path.join(generatedDir, f)));
  if (!force && complete && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    console.log('prisma-generate: clients are up to date');
    return;
  }

  rmSync(generatedDir, { recursive: true, force: true });
  mkdirSync(generatedDir, { recursive: true });
  writeFileSync(mysqlSchemaPath, mysqlSchema);

  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || schemaEngineStub(),
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
  generate(prismaCli, env);
  generate(prismaCli, env, mysqlSchemaPath);
  writeFileSync(stampPath, stamp);
  console.log(`prisma-generate: generated PostgreSQL and MySQL clients (Prisma ${prismaVersion}) in libs/db/src/generated`);
}

if (path.resolve(process.argv[1] ?? '') === self) {
  try {
    main();
  } catch (error) {
    console.error(`prisma-generate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
