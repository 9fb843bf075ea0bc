#!/usr/bin/env node
import { type CreatedApiKeyDto, createBenchmarkRequestSchema, generateApiKey } from '@switchboard/contracts';
import { ConfigError, loadConfig } from '@switchboard/config';
import { TEST_MODEL_FILE } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import path from 'node:path';
import { openDatabase } from '@switchboard/db';
import { Command, InvalidArgumentError } from 'commander';
import { allApps, type AppName, startPlatform } from './platform.js';
import { benchCommand } from './bench.command.js';
import { offerDefaultModel } from './first-start.js';
import { downloadModelCommand } from './models-download.command.js';
import { listModelsCommand } from './models-list.command.js';
import { downloadThroughPlatform, selectThroughPlatform } from './models-remote.commands.js';
import { selectModelCommand } from './models-select.command.js';
import { connectPlatform } from './platform-client.js';

const ctx = () => ({ cwd: process.cwd(), env: process.env, out: process.stdout });
/** The running platform's API, if one is up (SWITCHBOARD_URL or this machine's api port). */
const platform = () => connectPlatform(process.env, loadConfig());

const program = new Command('switchboard').description('Queue-based agent orchestration with an OpenAI-compatible gateway');

program
  .command('start')
  .description('start the platform: all apps in one process (default), or one app for scale-out')
  .argument('[app]', 'all | gateway | api | worker', 'all')
  .action(async (app: string) => {
    if (app !== 'all' && !allApps.includes(app as AppName)) throw new InvalidArgumentError(`unknown app "${app}"; expected all, gateway, api or worker`);
    const config = loadConfig();
    if (app === 'all' || app === 'worker') await offerDefaultModel(config, { stdin: process.stdin, out: process.stdout, env: process.env, cwd: process.cwd() });
    const platform = await startPlatform(app === 'all' ? allApps : [app as AppName], config);
    for (const [name, url] of Object.entries(platform.urls)) if (url) console.log(`${name.padEnd(8)} ${url}`);
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) process.exit(1);
      stopping = true;
      console.log(`${signal}: draining (Ctrl-C again to quit at once)`);
      platform.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key and print its secret (shown once)')
  .option('--name <name>', 'a label for the key', 'cli')
  .option('--role <role>', 'user | admin', 'user')
  .option('--rpm <n>', 'requests per minute for this key', (v) => Number.parseInt(v, 10))
  .action(async (opts: { name: string; role: string; rpm?: number }) => {
    if (opts.role !== 'user' && opts.role !== 'admin') throw new InvalidArgumentError('role must be user or admin');
    const config = loadConfig();
    // A running `npm start` holds the embedded database: ask its API instead.
    const api = await connectPlatform(process.env, config);
    if (api) {
      const created = await api.request<CreatedApiKeyDto>('POST', '/api/keys', { name: opts.name, role: opts.role, ...(opts.rpm ? { rate_limit_per_minute: opts.rpm } : {}) });
      console.log(JSON.stringify({ id: created.id, name: created.name, role: created.role, key: created.key }));
      return;
    }
    const db = await openDatabase(config.database.url, { dataDir: config.data_dir });
    try {
      const { secret, prefix, hash } = generateApiKey();
      const row = await db.apiKeys.create({ name: opts.name, role: opts.role, prefix, hash, rateLimitPerMinute: opts.rpm ?? null });
      console.log(JSON.stringify({ id: row.id, name: row.name, role: row.role, key: secret }));
    } finally {
      await db.close();
    }
  });

program
  .command('db')
  .description('database tasks')
  .command('migrate')
  .description('apply pending migrations to DATABASE_URL (or the embedded database)')
  .action(async () => {
    const config = loadConfig();
    const db = await openDatabase(config.database.url, { dataDir: config.data_dir, migrate: true });
    console.log(`migrations applied (${db.kind})`);
    await db.close();
  });

const models = program.command('models').description('the model catalogue: list, download, select (through the running platform when one is up)');
models
  .command('list')
  .description('configured, manifest (✓ = on disk) and locally served models, with the RAM each needs and whether it fits')
  .action(async () => {
    await listModelsCommand(ctx(), await platform());
  });
models
  .command('download')
  .description('download a model of the manifest into models/ (on a worker of the running platform, else here); resumes a partial download')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .option('--force', 'download again even if the file is there')
  .action(async (name: string, opts: { force?: boolean }) => {
    const controller = new AbortController();
    // First Ctrl-C stops cleanly (cancelling the platform's download, keeping the .part to resume); a second one quits at once.
    process.once('SIGINT', () => {
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    const api = await platform();
    const run = api
      ? downloadThroughPlatform(name, ctx(), api, { signal: controller.signal, progress: process.stderr, ...(opts.force ? { force: true } : {}) })
      : downloadModelCommand(name, ctx(), { signal: controller.signal, progress: process.stderr, ...(opts.force ? { force: true } : {}) });
    await run.catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(130);
    });
  });
models
  .command('select')
  .description('make a model the default local model (first model of the llama-cpp provider); a running platform serves it at once')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .action(async (name: string) => {
    const api = await platform();
    if (api) await selectThroughPlatform(name, ctx(), api);
    else await selectModelCommand(name, ctx());
  });
models
  .command('make-test-model')
  .description('write the tiny generated test model (GGUF v3, random weights) for offline tests and demos')
  .argument('[file]', 'where to write it', `models/${TEST_MODEL_FILE}`)
  .action(async (file: string) => {
    const info = await writeTestModel(path.resolve(file));
    console.log(`wrote ${info.path} (${info.sizeBytes} bytes, vocab ${info.vocabSize}, context ${info.contextLength})`);
  });

program
  .command('bench')
  .description('benchmark models side by side (a job on the running platform, else here): TTFT, tokens/s, latency, memory, cost, quality')
  .argument('<models...>', 'model ids as /v1 takes them, e.g. local/qwen2.5-0.5b openrouter/meta-llama/llama-3.1-8b-instruct')
  .option('--reference <model>', 'score quality as token-F1 against this model\'s answers (default: contains-match against expected answers)')
  .option('--max-tokens <n>', 'longest answer per prompt', (v) => Number.parseInt(v, 10))
  .action(async (ids: string[], opts: { reference?: string; maxTokens?: number }) => {
    const request = createBenchmarkRequestSchema.parse({
      models: ids,
      ...(opts.reference ? { reference_model: opts.reference } : {}),
      ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
    });
    await benchCommand(request, ctx(), await platform());
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
});
