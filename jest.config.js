// One Jest run for the whole workspace. Tests execute as native ES modules (node --experimental-vm-modules),
// so ESM-only packages (NestJS 12, node-llama-cpp) load as they are, untransformed; @swc/jest strips types
// and keeps decorator metadata, which NestJS dependency injection needs.
import path from 'node:path';

const here = import.meta.dirname;

const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

const project = (dir) => ({
  displayName: dir,
  rootDir: path.join(here, dir),
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  // Sources import siblings with NodeNext's `.js` suffix and libs through their package name: point both at
  // the TypeScript sources so tests never depend on a stale build of a lib.
  moduleNameMapper: {
    '^@switchboard/([a-z-]+)$': path.join(here, 'libs/$1/src/index.ts'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
});

export default {
  rootDir: '.',
  projects: [
    'libs/contracts', 'libs/config', 'libs/db', 'libs/auth', 'libs/queue', 'libs/providers', 'libs/agents', 'libs/runs', 'libs/testing',
    'apps/gateway', 'apps/api', 'apps/worker', 'apps/cli',
  ].map(project).concat({ ...project('e2e'), testMatch: ['<rootDir>/**/*.spec.ts'] }),
  testTimeout: 30000,
};
