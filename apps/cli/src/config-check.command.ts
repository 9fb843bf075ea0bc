import { chooseConfigFile, ConfigError, loadConfig } from '@switchboard/config';
import { ModelCatalog, type SwitchboardConfig } from '@switchboard/contracts';
import { manifestPathIn, readModelManifest, withServedLocalModels } from '@switchboard/providers';
import { type CliOutput, formatTable } from './cli-output.js';

export interface ConfigCheckResult {
  valid: boolean;
  file: string | null;
  errors?: { path: string; message: string }[];
  providers?: { name: string; type: string; enabled: boolean; models: string[] }[];
  models?: string[];
  agents?: string[];
  pipelines?: string[];
}

/**
 * `config check [file]`: loads the file as every app would (env overrides included) and prints what the
 * gateway would serve: providers, the model ids of /v1/models (the model manifest's local models too), agents
 * and pipelines; or every validation error with its key path. Returns false when the config is invalid.
 */
export async function configCheckCommand(out: CliOutput, file: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<boolean> {
  const source = chooseConfigFile({ path: file, env, cwd })?.path ?? null;
  let config: SwitchboardConfig;
  try {
    config = loadConfig({ ...(file ? { path: file } : {}), env, cwd });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const errors = error.problems.map(splitProblem);
    out.result({ valid: false, file: source, errors } satisfies ConfigCheckResult);
    if (!out.json) process.stderr.write(`${error.message}\n`);
    return false;
  }
  const manifest = await readModelManifest(manifestPathIn(config.models.dir)).catch(() => null);
  const served = withServedLocalModels(config, manifest);
  const models = (JSON.parse(new ModelCatalog(served).listJson) as { data: { id: string }[] }).data.map((m) => m.id);
  const result: ConfigCheckResult = {
    valid: true,
    file: source,
    providers: served.providers.map((p) => ({ name: p.name, type: p.type, enabled: p.enabled, models: p.type === 'llama-cpp' ? p.models.map((m) => m.name) : p.models })),
    models,
    agents: served.agents.map((a) => a.name),
    pipelines: served.pipelines.map((p) => p.name),
  };
  out.result(result, () =>
    [
      `${source ?? 'defaults and environment (no config file)'}: valid`,
      '',
      formatTable(['provider', 'type', 'enabled', 'models'], result.providers!.map((p) => [p.name, p.type, p.enabled ? 'yes' : 'no', p.models.join(', ') || '-'])),
      '',
      `models     ${models.join(', ') || '-'}`,
      `agents     ${result.agents!.join(', ') || '-'}`,
      `pipelines  ${result.pipelines!.join(', ') || '-'}`,
    ].join('\n'),
  );
  return true;
}

/** `providers[0].type: expected ... (line 3)` -> its key path and the rest. */
function splitProblem(problem: string): { path: string; message: string } {
  const colon = problem.indexOf(': ');
  return colon < 0 ? { path: '(top level)', message: problem } : { path: problem.slice(0, colon), message: problem.slice(colon + 2) };
}
