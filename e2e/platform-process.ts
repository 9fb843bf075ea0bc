import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '@switchboard/testing';

export const repoRoot = path.resolve(import.meta.dirname, '..');
const cliMain = path.join(repoRoot, 'apps/cli/dist/main.js');
/**
 * How long a process may take to print its URLs. It starts in a few seconds on an idle machine; on a shared CI
 * machine under several test suites at once it has been seen to need more than 30.
 */
const START_TIMEOUT_MS = 90000;

export interface PlatformProcess {
  urls: Record<string, string>;
  dir: string;
  prefix: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the BUILT platform (`switchboard start ...`, as a user would) in a child process, with a config written
 * to a temp folder, a Redis key prefix of its own and free ports. Resolves once it printed its URLs.
 */
export async function startPlatformProcess(options: {
  /** The config file to write; null runs on the shipped config/switchboard.yaml (env overrides still apply). */
  configYaml: ((ctx: { dir: string; prefix: string }) => string) | null;
  app?: string;
  env?: Record<string, string>;
  prefix?: string;
  dir?: string;
  /** Move the data folder, ports and Redis prefix aside through environment overrides (for the shipped config). */
  dirEnv?: boolean;
}): Promise<PlatformProcess> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'sb-e2e-'));
  const prefix = options.prefix ?? `sbe2e-${randomUUID().slice(0, 8)}`;
  const configPath = options.configYaml ? path.join(dir, `switchboard-${randomUUID().slice(0, 6)}.yaml`) : null;
  if (configPath && options.configYaml) writeFileSync(configPath, options.configYaml({ dir, prefix }));
  const child = spawn(process.execPath, [cliMain, 'start', options.app ?? 'all'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(configPath ? { SWITCHBOARD_CONFIG: configPath } : {}),
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      ...(options.dirEnv
        ? {
            SWITCHBOARD_DATA_DIR: path.join(dir, 'data'),
            GATEWAY_PORT: '0',
            API_PORT: '0',
            WORKER_PORT: '0',
            SWITCHBOARD__REDIS__PREFIX: prefix,
          }
        : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const expected = options.app && options.app !== 'all' ? [options.app] : ['gateway', 'api', 'worker'];
  const urls: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed suite.
      child.kill('SIGKILL');
      reject(new Error(`platform did not start in ${START_TIMEOUT_MS / 1000} s:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      for (const m of out.matchAll(/^(gateway|api|worker)\s+(http:\/\/\S+)$/gm)) urls[m[1]!] = m[2]!;
      if (expected.every((a) => urls[a])) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    urls,
    dir,
    prefix,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        // A process killed by a signal has no exit code, only a signal code: it is gone all the same.
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Deletes every Redis key under a test prefix and the temp folder. */
export async function cleanUp(p: PlatformProcess | undefined, redisUrl = 'redis://127.0.0.1:6379'): Promise<void> {
  if (!p) return;
  const redis = new Redis(redisUrl);
  try {
    await deleteKeysUnder(redis, p.prefix);
  } finally {
    redis.disconnect();
    rmSync(p.dir, { recursive: true, force: true });
  }
}
