#!/usr/bin/env node
import { generateApiKey } from '@switchboard/contracts';
import { ConfigError, findProjectRoot, loadConfig } from '@switchboard/config';
import { modelFilesOnDisk, readModelManifest } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@switchboard/db';
import { Command, InvalidArgumentError } from 'commander';
import { allApps, type AppName, startPlatform } from './platform.js';
import { TEST_MODEL_FILE } from './test-model-fallback.js';
import { downloadModelCommand } from './models-download.command.js';
import { selectModelCommand } from './models-select.command.js';

const program = new Command('switchboard').description('Queue-based agent orchestration with an OpenAI-compatible gateway');

program
  .command('start')
  .description('start the platform: all apps in one process (default), or one app for scale-out')
  .argument('[app]', 'all | gateway | api | worker', 'all')
  .action(async (app: string) => {
    if (app !== 'all' && !allApps.includes(app as AppName)) throw new InvalidArgumentError(`unknown app "${app}"; expected all, gateway, api or worker`);
    const platform = await startPlatform(app === 'all' ? allApps : [app as AppName]);
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

const models = program.command('models').description('local GGUF models');
models
  .command('list')
  .description('known models (models/manifest.json) and the configured ones, and which are on disk')
  .action(async () => {
    const config = loadConfig();
    const root = findProjectRoot(process.cwd());
    const manifest = await readModelManifest(path.join(root, 'models/manifest.json'));
    const known = await modelFilesOnDisk(manifest, path.join(root, 'models'));
    console.log('Known models (`switchboard models download NAME`, or put the file from its URL into models/ by hand):');
    for (const m of known) console.log(`  ${m.present ? '✓' : ' '} ${m.model.name.padEnd(28)} ${m.model.file}  ${m.model.url}`);
    console.log('Configured llama-cpp models:');
    for (const p of config.providers) {
      if (p.type !== 'llama-cpp') continue;
      for (const m of p.models) console.log(`  ${existsSync(m.file) ? '✓' : '✗'} ${p.name}/${m.name}  ${m.file}`);
    }
  });
models
  .command('download')
  .description('download a model of models/manifest.json into models/ (resumes an interrupted download)')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .option('--force', 'download again even if the file is there')
  .action(async (name: string, opts: { force?: boolean }) => {
    const controller = new AbortController();
    // First Ctrl-C stops cleanly, keeping the .part to resume; a second one quits at once.
    process.once('SIGINT', () => {
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    });
    await downloadModelCommand(name, { cwd: process.cwd(), env: process.env, out: process.stdout }, {
      signal: controller.signal,
      progress: process.stderr,
      ...(opts.force ? { force: true } : {}),
    }).catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(130);
    });
  });
models
  .command('select')
  .description('make a model of models/manifest.json the default local model (first model of the llama-cpp provider)')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .action(async (name: string) => {
    await selectModelCommand(name, { cwd: process.cwd(), env: process.env, out: process.stdout });
  });
models
  .command('make-test-model')
  .description('write the tiny generated test model (GGUF v3, random weights) for offline tests and demos')
  .argument('[file]', 'where to write it', `models/${TEST_MODEL_FILE}`)
  .action(async (file: string) => {
    const info = await writeTestModel(path.resolve(file));
    console.log(`wrote ${info.path} (${info.sizeBytes} bytes, vocab ${info.vocabSize}, context ${info.contextLength})`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
});
