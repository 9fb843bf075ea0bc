#!/usr/bin/env node
// Runs before `npm install` / `npm ci` (preinstall): refuses a Node.js older than the project's `engines.node`.
// npm's own `engine-strict` cannot do this job here: it applies to every dependency too, and some of them
// (NestJS 12's file-type, Prisma's dev server) declare Node >= 22 while the project runs on 20.19+, so
// engine-strict would refuse a supported Node. This checks only the project's own range, which is what matters:
// below 20.19 Prisma 7's client does not load.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Whether `version` (v20.19.1 or 20.19.1) meets `range`, which must be ">=MAJOR[.MINOR[.PATCH]]". */
export function meetsMinimum(version, range) {
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!minimum) throw new Error(`engines.node must read ">=MAJOR.MINOR", got "${range}"`);
  const have = version.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10));
  const want = minimum.slice(1).map((n) => Number.parseInt(n ?? '0', 10));
  for (let i = 0; i < 3; i++) {
    const h = have[i] ?? 0;
    const w = want[i] ?? 0;
    if (h !== w) return h > w;
  }
  return true;
}

export function projectNodeRange() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return pkg.engines.node;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const range = projectNodeRange();
  if (!meetsMinimum(process.version, range)) {
    console.error(
      `Switchboard needs Node.js ${range} (Prisma 7 does not run on older versions); this is ${process.version}.\n` +
        'Install a newer Node.js (the version in .nvmrc: `nvm install`), then run npm install again.',
    );
    process.exit(1);
  }
}
