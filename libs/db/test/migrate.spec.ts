// The migration runner on every backend: applies once, is idempotent, records Prisma-compatible rows, refuses
// edited migrations, handles failures, and applies once when several processes start together.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findMigrationsRoot, MigrationChecksumError, MigrationError, openDatabase } from '../src/index.js';
import type { BackendName } from './support/backends.js';
import { createRawTestDatabase, type RawTestDatabase } from './support/raw-sql.js';

const root = findMigrationsRoot();

function migrationsCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-migrations-'));
  cpSync(root, dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, dialect: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, dialect, name), { recursive: true });
  writeFileSync(path.join(dir, dialect, name, 'migration.sql'), sql);
}

function runnerSuite(backend: BackendName): void {
  const dialect = backend === 'mysql' ? 'mysql' : 'postgresql';
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const shipped = readdirSync(path.join(root, dialect)).filter((n) => !n.endsWith('.toml')).sort();

  describe(`migration runner on ${backend}`, () => {
    let testDb: RawTestDatabase;
    const temps: string[] = [];
    const tempCopy = () => {
      const dir = migrationsCopy();
      temps.push(dir);
      return dir;
    };

    beforeAll(async () => {
      testDb = await createRawTestDatabase(backend);
    }, 60_000);
    afterEach(() => {
      for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
    });
    afterAll(async () => {
      await testDb?.drop();
    }, 60_000);

    it('applies the shipped migrations once, records them like Prisma, and does nothing the second time', async () => {
      expect(shipped.length).toBeGreaterThan(0);
      const first = await testDb.migrate();
      expect(first).toEqual({ applied: shipped, alreadyApplied: [] });
      const second = await testDb.migrate();
      expect(second).toEqual({ applied: [], alreadyApplied: shipped });

      const rows = await testDb.sql((query) =>
        query('SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, applied_steps_count, logs FROM _prisma_migrations ORDER BY migration_name'),
      );
      expect(rows.map((r) => r['migration_name'])).toEqual(shipped);
      for (const row of rows) {
        const file = readFileSync(path.join(root, dialect, String(row['migration_name']), 'migration.sql'));
        expect(row['checksum']).toBe(createHash('sha256').update(file).digest('hex'));
        expect(String(row['id'])).toMatch(/^[0-9a-f-]{36}$/);
        expect(row['finished_at']).not.toBeNull();
        expect(row['rolled_back_at']).toBeNull();
        expect(row['logs']).toBeNull();
        expect(Number(row['applied_steps_count'])).toBe(1);
      }
    });

    it('applies a migration added later, and only that one', async () => {
      const dir = tempCopy();
      addMigration(dir, dialect, '29990101000000_add_note', `CREATE TABLE ${q('Note')} (${q('id')} VARCHAR(36) NOT NULL PRIMARY KEY);`);
      expect(await testDb.migrate({ migrationsDir: dir })).toEqual({ applied: ['29990101000000_add_note'], alreadyApplied: shipped });
      expect(await testDb.migrate({ migrationsDir: dir })).toMatchObject({ applied: [] });
      // The shipped folder lacks the newer migration (an older release starting): it starts anyway.
      expect(await testDb.migrate()).toEqual({ applied: [], alreadyApplied: shipped });
    });

    it('refuses to start when an applied migration file was edited', async () => {
      const dir = tempCopy();
      appendFileSync(path.join(dir, dialect, shipped[0]!, 'migration.sql'), '\n-- edited after it was applied\n');
      const error = await testDb.migrate({ migrationsDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationChecksumError);
      expect((error as Error).message).toContain(`Migration ${shipped[0]} was modified after it was applied`);
      if (testDb.url) await expect(openDatabase(testDb.url, { migrationsDir: dir })).rejects.toBeInstanceOf(MigrationChecksumError);
          });

    it('reports a failing migration by name and, once it is fixed, applies it', async () => {
      const dir = tempCopy();
      const name = '29990202000000_broken';
      addMigration(
        dir,
        dialect,
        name,
        `CREATE TABLE ${q('Half')} (${q('id')} VARCHAR(36) NOT NULL PRIMARY KEY);\nCREATE TABLE ${q('Broken')} (this is not sql);\n`,
      );
      const error = await testDb.migrate({ migrationsDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toContain(name);

      const fixed = `CREATE TABLE ${q('Whole')} (${q('id')} VARCHAR(36) NOT NULL PRIMARY KEY);\n`;
      if (dialect === 'postgresql') {
        // Rolled back as a whole: no half-made table, no record; the fixed file simply applies.
        const half = await testDb.sql((query) => query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'Half'`));
        expect(half[0]?.['n']).toBe(0);
        const recorded = await testDb.sql((query) => query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = $1', [name]));
        expect(recorded[0]?.['n']).toBe(0);
      } else {
        // MySQL keeps what ran before the error: the runner records the failure and refuses until resolved.
        const rows = await testDb.sql((query) => query('SELECT finished_at, logs FROM _prisma_migrations WHERE migration_name = ?', [name]));
        expect(rows).toHaveLength(1);
        expect(rows[0]?.['finished_at']).toBeNull();
        expect(String(rows[0]?.['logs'])).toMatch(/Unknown data type|syntax/i);
        expect(String(rows[0]?.['logs'])).not.toContain('CREATE TABLE');
        const refusal = await testDb.migrate({ migrationsDir: dir }).catch((e: unknown) => e);
        expect((refusal as Error).message).toMatch(new RegExp(`${name} started earlier but never finished`));
        await testDb.sql(async (query) => {
          await query('DROP TABLE `Half`');
          await query('UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP(3) WHERE migration_name = ?', [name]);
        });
      }
      writeFileSync(path.join(dir, dialect, name, 'migration.sql'), fixed);
      expect(await testDb.migrate({ migrationsDir: dir })).toMatchObject({ applied: [name] });
    });

    if (backend !== 'pglite') {
      it('applies each migration once when several processes migrate at the same moment', async () => {
        const fresh = await createRawTestDatabase(backend);
        try {
          const dir = tempCopy();
          addMigration(dir, dialect, '29990303000000_slow', dialect === 'postgresql' ? 'SELECT pg_sleep(0.3);' : 'DO SLEEP(0.3);');
          const results = await Promise.all(Array.from({ length: 4 }, () => fresh.migrate({ migrationsDir: dir })));
          const everything = [...shipped, '29990303000000_slow'];
          expect(results.flatMap((r) => r.applied).sort()).toEqual(everything);
          expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
          const rows = await fresh.sql((query) => query('SELECT migration_name FROM _prisma_migrations'));
          expect(rows.map((r) => r['migration_name']).sort()).toEqual(everything);
        } finally {
          await fresh.drop();
        }
      }, 60_000);
    }
  });
}

runnerSuite('pglite');
runnerSuite('postgresql');
runnerSuite('mysql');
