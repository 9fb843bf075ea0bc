import path from 'node:path';
import { type SwitchboardConfig, switchboardConfigSchema } from '@switchboard/contracts';
import { ConfigError } from './config-error.js';
import { chooseConfigFile, findProjectRoot, readConfigFile } from './config-file.js';
import { crossValidate } from './cross-validate.js';
import { applyEnvOverrides } from './env-overrides.js';
import { reportIssues } from './format-issues.js';
import { interpolateDocument } from './interpolate.js';
import { LoadContext } from './load-context.js';
import { applyPresetUrls } from './preset-urls.js';
import { showValue } from './problem-text.js';

export interface LoadConfigOptions {
  /** The config file. Default: env SWITCHBOARD_CONFIG, else config/switchboard.yaml at or above cwd. */
  path?: string;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where relative paths and the search for config/switchboard.yaml start. Default: process.cwd(). */
  cwd?: string;
}

/**
 * Loads the one configuration every app shares: YAML file -> `${VAR}` interpolation -> env overrides
 * (env > file > defaults) -> zod validation -> cross-field checks. Throws a ConfigError listing every
 * problem with its key path. No file at the default place means defaults plus env; a file that was
 * named explicitly (option or SWITCHBOARD_CONFIG) must exist.
 */
export function loadConfig(options: LoadConfigOptions = {}): SwitchboardConfig {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const choice = chooseConfigFile({ path: options.path, env, cwd });
  const file = choice ? readConfigFile(choice) : undefined;
  const source = file?.path ?? 'defaults and environment (no config/switchboard.yaml found)';
  const ctx = new LoadContext(env, cwd, file);

  if (file) interpolateDocument(file.doc, ctx);
  const data: unknown = file ? copyTree(file.doc.toJS() ?? {}) : {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(source, [`(top level): expected a mapping of settings, got ${showValue(data, true)}`]);
  }
  // Top-level `x-` keys hold YAML anchors for reuse (`x-params: &params {...}`), as in compose files.
  for (const key of Object.keys(data)) if (key.startsWith('x-')) delete (data as Record<string, unknown>)[key];
  applyEnvOverrides(data as Record<string, unknown>, ctx);
  if (ctx.problems.length > 0) throw new ConfigError(source, ctx.problems);

  const parsed = switchboardConfigSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    reportIssues(parsed.error.issues, ctx);
    throw new ConfigError(source, ctx.problems);
  }
  applyPresetUrls(parsed.data, ctx);
  crossValidate(parsed.data, ctx);
  if (ctx.problems.length > 0) throw new ConfigError(source, ctx.problems);
  return resolvePaths(parsed.data, findProjectRoot(cwd));
}

/**
 * A tree copy: every alias (*anchor) gets its own copy, so an env override of one entry changes only that
 * entry (toJS and structuredClone both keep aliases as one shared object).
 */
function copyTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyTree);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyTree(v)]));
  }
  return value;
}

/** Relative data_dir, models.dir and model files become absolute from the project root, the same for every app. */
function resolvePaths(config: SwitchboardConfig, root: string): SwitchboardConfig {
  config.data_dir = path.resolve(root, config.data_dir);
  config.models.dir = path.resolve(root, config.models.dir);
  for (const provider of config.providers) {
    if (provider.type !== 'llama-cpp') continue;
    for (const model of provider.models) model.file = path.resolve(root, model.file);
  }
  return config;
}
