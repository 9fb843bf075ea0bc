import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from '@jest/globals';

// Jest catches unhandled rejections itself, so a test inside it cannot see one. The probe runs every early
// ending of a call (aborts, timeouts, faults, streams nobody reads) in a plain Node process that dies on
// the first unhandled rejection, and reports timers or sockets left behind.
it('ends calls early in every way without an unhandled rejection or a leftover timer', async () => {
  const probe = fileURLToPath(new URL('./probes/abort-paths.probe.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--unhandled-rejections=strict', '--import', 'tsx', probe],
      { cwd: root, timeout: 25_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
  });
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ ok: true, leftovers: [] });
});
