import type { SwitchboardConfig } from '@switchboard/contracts';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './load-config.js';
import { selectModelInConfig, type ConfigEdit } from './models-config.editor.js';

export interface DefaultModelChoice {
  /** Entry name for a model the config does not have yet (the manifest name). */
  name: string;
  /** The GGUF file, absolute. */
  file: string;
  /** Project root: the file is written relative to it when it lies inside. */
  root: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The model's RAM at n_ctx 4096, for the warning when this machine has less. */
  ramBytes?: number;
  /** How to fetch the file, for the note when it is not there (a command, an endpoint). */
  downloadHint?: string;
}

export type DefaultModelOutcome = ConfigEdit & {
  configPath: string;
  /** `<provider>/<entry name>`: the id it is served as. */
  modelId: string;
  /** Things to know, one sentence each: another provider comes first for `auto`, no file yet, too big. */
  notes: string[];
};

/**
 * Makes a model the default local model in the config file: the first entry of the first llama-cpp provider's
 * `models` (what `auto` and agents on `auto` run), added if needed, editing only the lines that move (see
 * selectModelInConfig). The edited file must still load if it loaded before; otherwise it is left as it was.
 */
export async function writeDefaultLocalModel(choice: DefaultModelChoice): Promise<DefaultModelOutcome> {
  const { configPath } = choice;
  const relative = path.relative(choice.root, choice.file);
  const written = relative.startsWith('..') || path.isAbsolute(relative) ? choice.file : relative.split(path.sep).join('/');
  const original = existsSync(configPath) ? await readFile(configPath, 'utf8') : '';
  const edit = selectModelInConfig(original, { name: choice.name, file: written, root: choice.root });
  const load = (file: string): SwitchboardConfig => loadConfig({ path: file, env: choice.env, cwd: choice.cwd });
  if (edit.change !== 'unchanged') {
    // Written beside the config first, so a failed check never leaves a half-edited file.
    const staged = path.join(path.dirname(configPath), `.${path.basename(configPath)}.${process.pid}.tmp`);
    await writeFile(staged, edit.text);
    try {
      if (original !== '' && errorOf(() => load(configPath)) === undefined) {
        const problem = errorOf(() => load(staged));
        if (problem) throw new Error(`the edited config would not load (${problem}); ${configPath} was left as it was`);
      }
      await rename(staged, configPath);
    } finally {
      await rm(staged, { force: true });
    }
  }
  const modelId = `${edit.provider}/${edit.entryName}`;
  const notes: string[] = [];
  const autoFirst = autoPicks(() => load(configPath));
  if (autoFirst && autoFirst !== edit.provider) {
    notes.push(`\`auto\` tries provider "${autoFirst}" first (auto_pick.priority); ask for ${modelId} by name, or put "${edit.provider}" first there.`);
  }
  if (!existsSync(choice.file)) {
    notes.push(`Its file ${written} is not there yet${choice.downloadHint ? `: ${choice.downloadHint}` : ''}; until then a request for it answers with an error saying so.`);
  }
  if (choice.ramBytes !== undefined && choice.ramBytes > os.totalmem()) {
    notes.push(
      `${choice.name} needs ~${(choice.ramBytes / 1e6).toFixed(1)} MB of RAM at n_ctx 4096 and this machine has ${(os.totalmem() / 1e6).toFixed(1)} MB; the worker will refuse to load it. Pick a smaller model or lower n_ctx.`,
    );
  }
  return { ...edit, configPath, modelId, notes };
}

/** The provider `auto` tries first, as the worker's router picks it; undefined when the config does not load. */
function autoPicks(load: () => SwitchboardConfig): string | undefined {
  let config: SwitchboardConfig;
  try {
    config = load();
  } catch {
    return undefined;
  }
  const names = config.auto_pick.priority.length ? config.auto_pick.priority : config.providers.map((p) => p.name);
  return names.find((name) => config.providers.some((p) => p.name === name && p.enabled && p.models.length > 0));
}

function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
