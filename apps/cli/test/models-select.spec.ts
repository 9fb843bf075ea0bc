import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@switchboard/config';
import { ModelCatalog } from '@switchboard/contracts';
import { selectModelCommand } from '../src/models-select.command.js';

const repo = path.resolve(import.meta.dirname, '../../..');

/** A Writable that keeps what the command told the person. */
function output(): PassThrough & { text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return Object.assign(stream, { text: () => text });
}

describe('switchboard models select (on a temp copy of the shipped config)', () => {
  let root: string;
  let configPath: string;
  let shipped: string;
  const env = (): NodeJS.ProcessEnv => ({ SWITCHBOARD_CONFIG: configPath });
  const load = () => loadConfig({ env: env(), cwd: root });

  beforeAll(async () => {
    // A project root of its own: models/manifest.json from the repo, the config elsewhere, named by SWITCHBOARD_CONFIG.
    root = await mkdtemp(path.join(os.tmpdir(), 'sb-select-'));
    await mkdir(path.join(root, 'models'));
    await mkdir(path.join(root, 'etc'));
    await copyFile(path.join(repo, 'models/manifest.json'), path.join(root, 'models/manifest.json'));
    configPath = path.join(root, 'etc/switchboard.yaml');
    shipped = await readFile(path.join(repo, 'config/switchboard.yaml'), 'utf8');
  });
  beforeEach(async () => {
    await writeFile(configPath, shipped);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('puts a new model first in the local provider, so auto picks it; nothing else in the file changes', async () => {
    const out = output();
    const result = await selectModelCommand('qwen2.5-1.5b-instruct', { cwd: root, env: env(), out });
    expect(result).toMatchObject({ modelId: 'local/qwen2.5-1.5b-instruct', change: 'added', configPath });

    const config = load();
    const local = config.providers[0]!;
    expect(local.type === 'llama-cpp' && local.models.map((m) => [m.name, m.file])).toEqual([
      ['qwen2.5-1.5b-instruct', path.join(root, 'models/qwen2.5-1.5b-instruct-q4_k_m.gguf')],
      ['qwen2.5-0.5b', path.join(root, 'models/qwen2.5-0.5b-instruct-q4_k_m.gguf')],
    ]);
    // `auto` (and the shipped agent, whose model is auto) runs the first model of the first provider of auto_pick.priority.
    expect(config.auto_pick.priority[0]).toBe('local');
    expect(new ModelCatalog(config).resolve('local/qwen2.5-1.5b-instruct')).toMatchObject({ kind: 'provider', provider: 'local', model: 'qwen2.5-1.5b-instruct' });
    // The new entry took the old default's params (threads 1 and all).
    expect(local.type === 'llama-cpp' && local.models[0]!.params).toEqual(local.type === 'llama-cpp' && local.models[1]!.params);

    // The edit is an insertion of whole lines: remove them and the shipped file is back, comments and alignment included.
    const lines = (await readFile(configPath, 'utf8')).split('\n');
    const at = lines.indexOf('      - name: qwen2.5-1.5b-instruct');
    expect(lines.slice(at, at + 3)).toEqual(['      - name: qwen2.5-1.5b-instruct', '        file: models/qwen2.5-1.5b-instruct-q4_k_m.gguf', '        params:']);
    expect(lines[at + 7]).toBe('      - name: qwen2.5-0.5b');
    lines.splice(at, 7);
    expect(lines.join('\n')).toBe(shipped);

    expect(out.text()).toContain('local/qwen2.5-1.5b-instruct is now the default local model');
    expect(out.text()).toContain('switchboard models download qwen2.5-1.5b-instruct');
  });

  it('selecting the model the config already has under another name moves that entry back, without a duplicate', async () => {
    await selectModelCommand('qwen2.5-1.5b-instruct', { cwd: root, env: env(), out: output() });
    const result = await selectModelCommand('qwen2.5-0.5b-instruct', { cwd: root, env: env(), out: output() });
    expect(result).toMatchObject({ modelId: 'local/qwen2.5-0.5b', change: 'moved' });
    const local = load().providers[0]!;
    expect(local.type === 'llama-cpp' && local.models.map((m) => m.name)).toEqual(['qwen2.5-0.5b', 'qwen2.5-1.5b-instruct']);

    const before = await readFile(configPath, 'utf8');
    const again = await selectModelCommand('qwen2.5-0.5b-instruct', { cwd: root, env: env(), out: output() });
    expect(again.change).toBe('unchanged');
    expect(await readFile(configPath, 'utf8')).toBe(before);
  });

  it('does not nag about the download when the file is there', async () => {
    await writeFile(path.join(root, 'models/Llama-3.2-1B-Instruct-Q4_K_M.gguf'), 'GGUF');
    const out = output();
    await selectModelCommand('llama-3.2-1b-instruct', { cwd: root, env: env(), out });
    expect(out.text()).not.toContain('not there yet');
  });

  it('says when auto would try another provider first', async () => {
    await writeFile(configPath, shipped.replace('priority: [local, openrouter]', 'priority: [openrouter, local]').replace('${OPENROUTER_ENABLED:-false}', 'true'));
    const out = output();
    await selectModelCommand('qwen2.5-1.5b-instruct', { cwd: root, env: env(), out });
    expect(out.text()).toContain('`auto` tries provider "openrouter" first');
  });

  it('refuses an unknown name, listing the known ones, and leaves the file alone', async () => {
    await expect(selectModelCommand('gpt-5', { cwd: root, env: env(), out: output() })).rejects.toThrow(
      /unknown model "gpt-5"; known models: qwen2\.5-0\.5b-instruct, qwen2\.5-1\.5b-instruct, .*llama-3\.2-1b-instruct, .*phi-3\.5-mini-instruct/,
    );
    expect(await readFile(configPath, 'utf8')).toBe(shipped);
  });
});
