import { loadConfig } from '@switchboard/config';
import { createBenchmarkRequestSchema, generateApiKey, type SwitchboardConfig } from '@switchboard/contracts';
import { openDatabase } from '@switchboard/db';
import { TEST_MODEL_FILE } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import path from 'node:path';
import { benchCommand } from './bench.command.js';
import { downloadModelCommand } from './models-download.command.js';
import { listModelsCommand } from './models-list.command.js';
import { downloadThroughPlatform, selectThroughPlatform } from './models-remote.commands.js';
import { selectModelCommand } from './models-select.command.js';
import { connectPlatform, type PlatformClient } from './platform-client.js';

/**
 * The commands that work with or without a running platform (through its API when one is up, else on this
 * machine's files and database), as main.ts wires them.
 */
const ctx = () => ({ cwd: process.cwd(), env: process.env, out: process.stdout });
/** The running platform's API, if one is up (SWITCHBOARD_URL or this machine's api port). */
const platform = (): Promise<PlatformClient | null> => connectPlatform(process.env, loadConfig());

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.database.url, { dataDir: config.data_dir, migrate: true });
  console.log(`migrations applied (${db.kind})`);
  await db.close();
}

export async function modelsListCommand(json: boolean): Promise<void> {
  await listModelsCommand(ctx(), await platform(), json);
}

export async function modelsDownloadCommand(name: string, force: boolean): Promise<void> {
  const controller = new AbortController();
  // First Ctrl-C stops cleanly (cancelling the platform's download, keeping the .part to resume); a second one quits at once.
  process.once('SIGINT', () => {
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const api = await platform();
  const options = { signal: controller.signal, progress: process.stderr, ...(force ? { force: true } : {}) };
  const run = api ? downloadThroughPlatform(name, ctx(), api, options) : downloadModelCommand(name, ctx(), options);
  await run.catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(130);
  });
}

export async function modelsSelectCommand(name: string): Promise<void> {
  const api = await platform();
  if (api) await selectThroughPlatform(name, ctx(), api);
  else await selectModelCommand(name, ctx());
}

export async function makeTestModelCommand(file: string | undefined): Promise<void> {
  const info = await writeTestModel(path.resolve(file ?? path.join('models', TEST_MODEL_FILE)));
  console.log(`wrote ${info.path} (${info.sizeBytes} bytes, vocab ${info.vocabSize}, context ${info.contextLength})`);
}

export async function benchModelsCommand(ids: string[], opts: { reference?: string; maxTokens?: number }): Promise<void> {
  const request = createBenchmarkRequestSchema.parse({
    models: ids,
    ...(opts.reference ? { reference_model: opts.reference } : {}),
    ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
  });
  await benchCommand(request, ctx(), await platform());
}

export interface CreateKeyOptions {
  name: string;
  role: 'user' | 'admin';
  rpm?: number;
}

/** `keys create` with no platform up: the key goes straight into the database; the secret is returned once. */
export async function createKeyInDatabase(config: SwitchboardConfig, opts: CreateKeyOptions): Promise<{ id: string; name: string; role: string; key: string }> {
  const db = await openDatabase(config.database.url, { dataDir: config.data_dir });
  try {
    const { secret, prefix, hash } = generateApiKey();
    const row = await db.apiKeys.create({ name: opts.name, role: opts.role, prefix, hash, rateLimitPerMinute: opts.rpm ?? null });
    return { id: row.id, name: row.name, role: row.role, key: secret };
  } finally {
    await db.close();
  }
}
