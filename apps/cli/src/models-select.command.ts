import type { SwitchboardConfig } from '@switchboard/contracts';
import { chooseConfigFile, DEFAULT_CONFIG_FILE, loadConfig } from '@switchboard/config';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatMB, loadCatalog, pickModel, type ModelsCommandContext } from './models-catalog.js';
import { selectModelInConfig, type ConfigEdit } from './models-config.editor.js';

export type SelectOutcome = ConfigEdit & { configPath: string; modelId: string };

/**
 * `switchboard models select NAME`: makes a manifest model the default local model by putting it first in
 * the first llama-cpp provider's `models` (what `auto` and the worker pick), adding the entry if needed.
 * The edited file must still load if it loaded before; otherwise it is left as it was.
 */
export async function selectModelCommand(name: string, ctx: ModelsCommandContext): Promise<SelectOutcome> {
  const catalog = await loadCatalog(ctx.cwd);
  const model = pickModel(catalog, name);
  const choice = chooseConfigFile({ env: ctx.env, cwd: ctx.cwd });
  const configPath = choice?.path ?? path.join(catalog.root, DEFAULT_CONFIG_FILE);
  const original = existsSync(configPath) ? await readFile(configPath, 'utf8') : '';
  const edit = selectModelInConfig(original, { name: model.name, file: `models/${model.file}`, root: catalog.root });
  const modelId = `${edit.provider}/${edit.entryName}`;
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);

  if (edit.change !== 'unchanged') {
    // Written beside the config first, so a failed check never leaves a half-edited file.
    const staged = path.join(path.dirname(configPath), `.${path.basename(configPath)}.${process.pid}.tmp`);
    await writeFile(staged, edit.text);
    try {
      const load = (file: string): unknown => loadConfig({ path: file, env: ctx.env, cwd: ctx.cwd });
      if (original !== '' && loads(() => load(configPath))) {
        const problem = errorOf(() => load(staged));
        if (problem) throw new Error(`the edited config would not load (${problem}); ${configPath} was left as it was`);
      }
      await rename(staged, configPath);
    } finally {
      await rm(staged, { force: true });
    }
  }
  say(
    edit.change === 'unchanged'
      ? `${modelId} already is the default local model (${configPath}).`
      : `${modelId} is now the default local model: ${edit.change === 'added' ? 'added as' : 'moved to'} the first model of provider "${edit.provider}" in ${configPath}.`,
  );
  const autoFirst = autoPicks(() => loadConfig({ path: configPath, env: ctx.env, cwd: ctx.cwd }));
  if (autoFirst && autoFirst !== edit.provider) {
    say(`Note: \`auto\` tries provider "${autoFirst}" first (auto_pick.priority); ask for ${modelId} by name, or put "${edit.provider}" first there.`);
  }
  if (!existsSync(path.join(catalog.modelsDir, model.file))) {
    say(`Its file models/${model.file} is not there yet: run \`switchboard models download ${model.name}\` (until then the worker serves the generated test model).`);
  }
  if (model.ram_bytes > os.totalmem()) {
    say(`Warning: ${model.name} needs ~${formatMB(model.ram_bytes)} of RAM at n_ctx 4096 and this machine has ${formatMB(os.totalmem())}; the worker will refuse to load it. Pick a smaller model or lower n_ctx.`);
  }
  return { ...edit, configPath, modelId };
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

function loads(fn: () => unknown): boolean {
  return errorOf(fn) === undefined;
}

function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
