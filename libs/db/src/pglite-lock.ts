import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseUnavailableError } from './errors.js';

/** Data directories this process holds (a pid in the lock file equal to ours may be a previous incarnation's). */
const held = new Set<string>();

/**
 * Embedded PGlite serves exactly one process: two processes on the same files corrupt them. A lock file
 * beside the data directory (`<dataDir>/pglite.lock`, holding the pid) turns a second opener into a clear
 * error; a lock left by a process that is gone is taken over. Returns the release function.
 */
export function lockPgliteDir(pgliteDir: string): () => void {
  const file = path.join(path.dirname(pgliteDir), 'pglite.lock');
  const key = path.resolve(file);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!held.has(key)) {
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
        held.add(key);
        return () => {
          held.delete(key);
          rmSync(file, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const pid = held.has(key) ? process.pid : Number.parseInt(readText(file), 10);
    const alive = held.has(key) || (pid > 0 && pid !== process.pid && isAlive(pid));
    if (alive) {
      throw new DatabaseUnavailableError(
        `Embedded PGlite at ${pgliteDir} is already open in ${pid === process.pid ? 'this process' : `process ${pid}`}. ` +
          `PGlite serves one process: open it once and share the Database, or set DATABASE_URL to a PostgreSQL or ` +
          `MySQL server to run several processes (switchboard start gateway|api|worker).`,
      );
    }
    rmSync(file, { force: true });
  }
  throw new DatabaseUnavailableError(`Could not lock embedded PGlite at ${pgliteDir} (${file} keeps reappearing)`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
