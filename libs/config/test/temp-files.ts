import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary folder per suite; `write` puts a file in it and returns its absolute path. */
export function tempDir(): { dir: string; write: (name: string, text: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-config-'));
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
