import { chooseConfigFile, DEFAULT_CONFIG_FILE, writeDefaultLocalModel, type DefaultModelOutcome } from '@switchboard/config';
import path from 'node:path';
import { loadCatalog, pickModel, type ModelsCommandContext } from './models-catalog.js';

export type SelectOutcome = DefaultModelOutcome;

/**
 * `switchboard models select NAME` without a running platform: makes a manifest model the default local model
 * by putting it first in the first llama-cpp provider's `models` (what `auto` and the worker pick), adding the
 * entry if needed. Restart the platform to serve it (a running one is told through the API instead).
 */
export async function selectModelCommand(name: string, ctx: ModelsCommandContext): Promise<SelectOutcome> {
  const catalog = await loadCatalog(ctx.cwd, ctx.env);
  const model = pickModel(catalog, name);
  const configPath = chooseConfigFile({ env: ctx.env, cwd: ctx.cwd })?.path ?? path.join(catalog.root, DEFAULT_CONFIG_FILE);
  const outcome = await writeDefaultLocalModel({
    name: model.name,
    file: path.join(catalog.modelsDir, model.file),
    root: catalog.root,
    configPath,
    env: ctx.env,
    cwd: ctx.cwd,
    ramBytes: model.ram_bytes,
    downloadHint: `run \`switchboard models download ${model.name}\``,
  });
  const say = (line: string): boolean => ctx.out.write(`${line}\n`);
  say(
    outcome.change === 'unchanged'
      ? `${outcome.modelId} already is the default local model (${configPath}).`
      : `${outcome.modelId} is now the default local model: ${outcome.change === 'added' ? 'added as' : 'moved to'} the first model of provider "${outcome.provider}" in ${configPath}.`,
  );
  for (const note of outcome.notes) say(`Note: ${note}`);
  return outcome;
}
