import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@switchboard/config';
import { type FakeModelHub, startFakeModelHub, writeTestModel } from '@switchboard/testing';
import { offerDefaultModel } from '../src/first-start.js';

/** A terminal (or not): what the person types, and what they see. */
function terminal(tty: boolean, typed = ''): { stdin: PassThrough & { isTTY?: boolean }; out: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stdin = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
  const out = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
    // Answer once the question is on the screen, as a person would.
    if (typed && text.includes('[Y/n]') && !stdin.writableEnded) stdin.end(typed);
  });
  return { stdin, out, text: () => text };
}

describe('the first npm start without the default local model', () => {
  let root: string;
  let hub: FakeModelHub;
  let gguf: Buffer;
  const file = (): string => path.join(root, 'models/first.gguf');
  const config = () => loadConfig({ env: {}, cwd: root });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sb-first-start-'));
    await mkdir(path.join(root, 'models'));
    await mkdir(path.join(root, 'config'));
    gguf = await readFile((await writeTestModel(path.join(root, 'served.gguf'))).path);
    hub = await startFakeModelHub(gguf);
    await writeFile(
      path.join(root, 'models/manifest.json'),
      JSON.stringify({ version: 1, models: [{ name: 'first-model', file: 'first.gguf', url: `${hub.url}/ok/resolve/main/first.gguf`, quantization: 'F32', size_bytes: gguf.length, ram_bytes: gguf.length * 4 }] }),
    );
    await writeFile(
      path.join(root, 'config/switchboard.yaml'),
      'log_level: warn\nmodels: { min_free_disk_mb: 0 }\nproviders:\n  - { name: local, type: llama-cpp, models: [{ name: first, file: models/first.gguf }] }\n',
    );
  });
  afterAll(async () => {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  });

  it('off a terminal prints the one command to run and asks nothing', async () => {
    const t = terminal(false);
    await offerDefaultModel(config(), { stdin: t.stdin, out: t.out, env: {}, cwd: root });
    expect(t.text()).toBe('No local model yet: `npm run switchboard -- models download first-model` fetches the default one (local/first, ~1 MB).\n'.replace('~1 MB', `~${(gguf.length / 1e6).toFixed(0)} MB`));
    expect(existsSync(file())).toBe(false);
  });

  it('on a terminal, "n" starts without it and says how to get it later', async () => {
    const t = terminal(true, 'n\n');
    await offerDefaultModel(config(), { stdin: t.stdin, out: t.out, env: {}, cwd: root });
    expect(t.text()).toContain('The default local model local/first (first-model');
    expect(t.text()).toContain('Not now. Later: `npm run switchboard -- models download first-model`');
    expect(existsSync(file())).toBe(false);
  });

  it('on a terminal, Enter downloads it with a progress bar', async () => {
    const t = terminal(true, '\n');
    await offerDefaultModel(config(), { stdin: t.stdin, out: t.out, env: {}, cwd: root });
    expect((await readFile(file())).equals(gguf)).toBe(true);
    expect(t.text()).toContain('Downloading first-model');
    expect(t.text()).toContain('100%');
    // Once it is there, nothing is asked.
    const again = terminal(true);
    await offerDefaultModel(config(), { stdin: again.stdin, out: again.out, env: {}, cwd: root });
    expect(again.text()).toBe('');
  });
});
