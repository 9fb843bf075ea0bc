// openDatabase: which backend a URL picks, errors a person can act on (without secrets), embedded PGlite on disk.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '../src/database-url.js';
import { DatabaseUnavailableError, describeDatabaseUrl, migrate, openDatabase, UnsupportedDatabaseUrlError } from '../src/index.js';
import { createTestDatabase } from './support/backends.js';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('openDatabase', () => {
  it('picks the backend from the URL scheme', () => {
    expect(parseDatabaseUrl('postgresql://u:p@db:5433/app')).toMatchObject({ kind: 'postgresql', host: 'db', port: 5433, database: 'app' });
    expect(parseDatabaseUrl('postgres://db/app')).toMatchObject({ kind: 'postgresql', port: 5432 });
    expect(parseDatabaseUrl('mysql://root@db/app')).toMatchObject({ kind: 'mysql', port: 3306, url: 'mariadb://root@db/app' });
    expect(parseDatabaseUrl('mariadb://root:pw@db:3307/app?connectionLimit=3')).toMatchObject({
      kind: 'mysql',
      port: 3307,
      url: 'mariadb://root:pw@db:3307/app?connectionLimit=3',
    });
    expect(parseDatabaseUrl(undefined, { dataDir: '/tmp/x' })).toEqual({ kind: 'pglite', dataDir: path.resolve('/tmp/x/pglite') });
    expect(parseDatabaseUrl('')).toEqual({ kind: 'pglite', dataDir: path.resolve('.data/pglite') });
    expect(parseDatabaseUrl('memory://')).toEqual({ kind: 'pglite', dataDir: undefined });
  });

  it('describes where a URL points without its password', () => {
    expect(describeDatabaseUrl('postgresql://app:s3cret@db.internal:5433/switchboard')).toBe('PostgreSQL at db.internal:5433/switchboard');
    expect(describeDatabaseUrl('mysql://app:s3cret@db/switchboard')).toBe('MySQL/MariaDB at db:3306/switchboard');
    expect(describeDatabaseUrl(undefined, { dataDir: '/var/lib/sb' })).toBe('embedded PGlite at /var/lib/sb/pglite');
  });

  it('refuses an unknown scheme with a message listing the accepted forms', async () => {
    const error = await openDatabase('sqlite:///tmp/x.db').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedDatabaseUrlError);
    const message = (error as Error).message;
    expect(message).toContain('"sqlite://"');
    for (const form of ['postgresql://', 'postgres://', 'mysql://', 'mariadb://', 'memory://', 'unset or empty']) expect(message).toContain(form);
  });

  it('refuses a server URL without a database name', () => {
    expect(() => parseDatabaseUrl('postgresql://127.0.0.1:5432')).toThrow(UnsupportedDatabaseUrlError);
    expect(() => parseDatabaseUrl('mysql://root@127.0.0.1:3306/')).toThrow(/names no database/);
  });

  it.each([
    ['postgresql', 'postgresql'],
    ['mysql', 'mysql'],
  ])('names host:port of an unreachable %s server and never the password', async (_name, scheme) => {
    const port = await closedPort();
    const error = await openDatabase(`${scheme}://app:Sup3r-Secret-pw@127.0.0.1:${port}/switchboard`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toMatch(/start/);
    expect(message).not.toContain('Sup3r-Secret-pw');
    expect(JSON.stringify(error)).not.toContain('Sup3r-Secret-pw');
  });

  it('keeps the password out of a refused login on MariaDB', async () => {
    const error = await openDatabase('mysql://root:Wr0ng-Secret-pw@127.0.0.1:3306/test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toContain('127.0.0.1:3306');
    expect((error as Error).message).not.toContain('Wr0ng-Secret-pw');
  });

  it('says so when the PostgreSQL database does not exist', async () => {
    const error = await openDatabase('postgresql://postgres@127.0.0.1:5432/sb_test_does_not_exist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:5432\/sb_test_does_not_exist.*does not exist/);
  });

  it('opens without migrating when asked, and migrates by default', async () => {
    const testDb = await createTestDatabase('postgresql');
    try {
      const bare = await openDatabase(testDb.url, { migrate: false });
      await bare.ping();
      await expect(bare.agents.list()).rejects.toThrow();
      await bare.close();
      const db = await openDatabase(testDb.url);
      expect(await db.agents.list()).toEqual([]);
      await db.close();
      await db.close();
    } finally {
      await testDb.drop();
    }
  });

  it('keeps embedded PGlite data under <dataDir>/pglite across restarts', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-pglite-'));
    try {
      const first = await openDatabase(undefined, { dataDir });
      expect(first.kind).toBe('pglite');
      const agent = await first.agents.create({ name: 'persisted', model: 'auto', systemPrompt: 'kept 🙂' });
      // PGlite serves one process; a second opener of the same files is refused, not allowed to corrupt them.
      const second = await openDatabase(undefined, { dataDir }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(DatabaseUnavailableError);
      expect((second as Error).message).toMatch(/already open in this process.*DATABASE_URL/s);
      await expect(migrate(undefined, { dataDir })).rejects.toThrow(/already open/);
      await first.close();
      expect(existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);

      // A lock left behind by a process that died is taken over.
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      writeFileSync(path.join(dataDir, 'pglite.lock'), gone);
      expect(await migrate(undefined, { dataDir })).toMatchObject({ applied: [] });
      const reopened = await openDatabase('', { dataDir });
      expect(await reopened.agents.getByName('persisted')).toEqual(agent);
      await reopened.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Each PGlite boot takes seconds on a busy 2-core machine.
  }, 120_000);
});
