import type { SwitchboardConfig } from '@switchboard/contracts';
import { manifestPathIn, readModelManifest, testModelPath, withServedLocalModels } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * The config the gateway and the worker serve with (see withServedLocalModels): the manifest's models as
 * `local/<name>` (a missing file answers with how to download it, a finished download is served at once) and
 * the generated test model as `local/test-model` only, written here if it is not there yet. A configured
 * model whose file is missing is never replaced by the test model.
 */
export async function servedConfig(config: SwitchboardConfig, logger: Logger): Promise<SwitchboardConfig> {
  const manifest = await readModelManifest(manifestPathIn(config.models.dir)).catch((error: unknown) => {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'model manifest unreadable: only configured models are served');
    return null;
  });
  const served = withServedLocalModels(config, manifest);
  if (served !== config && config.models.test_model && !existsSync(testModelPath(config))) await writeTestModel(testModelPath(config));
  return served;
}
