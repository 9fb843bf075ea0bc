import type { SwitchboardConfig } from '@switchboard/contracts';
import { writeTestModel } from '@switchboard/testing';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** The generated stand-in model: tiny, random weights, but a real GGUF that node-llama-cpp loads and runs. */
export const TEST_MODEL_FILE = 'switchboard-test-model.gguf';

/**
 * A fresh checkout has no model weights (they are large and not in git). So that `npm start` still answers
 * on `local/...`, each llama-cpp model whose file is missing is pointed at a generated test model, with a
 * warning that says so and how to get a real one. The returned config is a copy; the file is made once.
 */
export async function withTestModelFallback(config: SwitchboardConfig, logger: Logger): Promise<SwitchboardConfig> {
  const testModel = path.join(config.data_dir, 'models', TEST_MODEL_FILE);
  let made = false;
  const providers = await Promise.all(
    config.providers.map(async (provider) => {
      if (provider.type !== 'llama-cpp' || !provider.enabled) return provider;
      const models = await Promise.all(
        provider.models.map(async (model) => {
          if (existsSync(model.file)) return model;
          if (!made && !existsSync(testModel)) await writeTestModel(testModel);
          made = true;
          logger.warn(
            { model: `${provider.name}/${model.name}`, missing: model.file, using: testModel },
            'model file missing: serving the generated TEST model instead (random weights, its answers are noise). ' +
              'Put a real GGUF at the configured path (see `switchboard models list` for download URLs)',
          );
          return { ...model, file: testModel };
        }),
      );
      return { ...provider, models };
    }),
  );
  return { ...config, providers };
}
