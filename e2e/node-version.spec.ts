import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './platform-process.js';
// @ts-expect-error a plain .mjs script without types
import { meetsMinimum } from '../scripts/check-node.mjs';

const check = meetsMinimum as (version: string, range: string) => boolean;
const rootPackage = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

/** npm install in a project that has only the root's preinstall check and the given engines range. */
function installWith(range: string): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-node-'));
  try {
    mkdirSync(path.join(dir, 'scripts'));
    copyFileSync(path.join(repoRoot, 'scripts/check-node.mjs'), path.join(dir, 'scripts/check-node.mjs'));
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'probe', version: '1.0.0', type: 'module', engines: { node: range }, scripts: { preinstall: rootPackage.scripts.preinstall } }),
    );
    const result = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the Node.js version', () => {
  it('is 20.19 or newer, as Prisma 7 needs, in the root and the packages that run Prisma', () => {
    expect(rootPackage.engines.node).toBe('>=20.19');
    for (const pkg of ['libs/db/package.json', 'apps/cli/package.json']) {
      expect((JSON.parse(readFileSync(path.join(repoRoot, pkg), 'utf8')) as { engines?: { node?: string } }).engines?.node).toBe('>=20.19');
    }
    expect(check(process.version, rootPackage.engines.node)).toBe(true);
  });

  it('compares versions part by part', () => {
    expect(check('v20.19.0', '>=20.19')).toBe(true);
    expect(check('v20.18.3', '>=20.19')).toBe(false);
    expect(check('v20.10.0', '>=20.19')).toBe(false);
    expect(check('v22.0.0', '>=20.19')).toBe(true);
    expect(check('v19.99.99', '>=20.19')).toBe(false);
    expect(check('26.1.0', '>=20.19.1')).toBe(true);
    expect(() => check('v20.19.0', '^20.19')).toThrow('engines.node must read ">=MAJOR.MINOR"');
  });

  it('stops npm install on a Node.js older than engines.node, with a message saying what to do', () => {
    const refused = installWith('>=99.1');
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(`Switchboard needs Node.js >=99.1 (Prisma 7 does not run on older versions); this is ${process.version}.`);
    expect(installWith(rootPackage.engines.node).status).toBe(0);
  });
});
