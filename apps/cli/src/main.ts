#!/usr/bin/env node
import { createBenchmarkRequestSchema } from '@switchboard/contracts';
import { ConfigError, loadConfig } from '@switchboard/config';
import { TEST_MODEL_FILE } from '@switchboard/providers';
import { writeTestModel } from '@switchboard/testing';
import path from 'node:path';
import { openDatabase } from '@switchboard/db';
import { Command, InvalidArgumentError, Option } from 'commander';
import { listAgentsCommand, showAgentCommand } from './agents.commands.js';
import { benchCommand } from './bench.command.js';
import { chatCommand } from './chat.command.js';
import { cliOutput } from './cli-output.js';
import { platformContext } from './command-context.js';
import { configCheckCommand } from './config-check.command.js';
import { createKeyCommand, listKeysCommand, revokeKeyCommand } from './keys.commands.js';
import { downloadModelCommand } from './models-download.command.js';
import { listModelsCommand } from './models-list.command.js';
import { downloadThroughPlatform, selectThroughPlatform } from './models-remote.commands.js';
import { selectModelCommand } from './models-select.command.js';
import { connectPlatform } from './platform-client.js';
import { cancelRunCommand, listRunsCommand, showRunCommand, tailRunCommand } from './runs.commands.js';
import { startCommand } from './start.command.js';
import { statusCommand } from './status.command.js';

const ctx = () => ({ cwd: process.cwd(), env: process.env, out: process.stdout });
/** The running platform's API, if one is up (SWITCHBOARD_URL or this machine's api port). */
const platform = () => connectPlatform(process.env, loadConfig());
const json = (): Option => new Option('--json', 'print machine-readable JSON only');
const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};
type Json = { json?: boolean };

const program = new Command('switchboard').description('Queue-based agent orchestration with an OpenAI-compatible gateway');

program
  .command('start')
  .description('start the platform: all apps in one process (default), or one app for scale-out')
  .argument('[app]', 'all | gateway | api | worker', 'all')
  .action(startCommand);

program
  .command('chat')
  .description('chat with an agent (or any model id) of the running platform; Ctrl-C during an answer detaches, `runs tail` resumes')
  .argument('[agent]', 'agent, pipeline or model id, as /v1/models lists it', 'auto')
  .option('--resume <run id>', 'first stream the rest of this run\'s answer, then go on in its conversation')
  .option('--system <prompt>', 'a system message to start the conversation with')
  .addOption(json())
  .action(async (agent: string, opts: { resume?: string; system?: string } & Json) => chatCommand(await platformContext(opts), agent, opts));

const agents = program.command('agents').description('agents of the running platform');
agents.command('list').description('every agent, by name').addOption(json()).action(async (opts: Json) => listAgentsCommand(await platformContext(opts)));
agents
  .command('show')
  .description('one agent: model, tools, budgets, prompt')
  .argument('<name>', 'agent name (or id)')
  .addOption(json())
  .action(async (name: string, opts: Json) => showAgentCommand(await platformContext(opts), name));

const runs = program.command('runs').description('runs of the running platform (a user key sees its own, an admin key all)');
runs
  .command('list')
  .description('runs, newest first')
  .option('--status <status>', 'queued | running | background | succeeded | failed | cancelled')
  .option('--limit <n>', 'how many (1-100, default 20)', positiveInt)
  .addOption(json())
  .action(async (opts: { status?: string; limit?: number } & Json) => listRunsCommand(await platformContext(opts), opts));
runs.command('show').description('one run: status, usage, provider attempts').argument('<id>').addOption(json()).action(async (id: string, opts: Json) => showRunCommand(await platformContext(opts), id));
runs.command('cancel').description('cancel a run (queued: at once; running: its worker aborts it)').argument('<id>').addOption(json()).action(async (id: string, opts: Json) => cancelRunCommand(await platformContext(opts), id));
runs
  .command('tail')
  .description('stream a run\'s answer to its end, after where this machine detached from it (nothing repeated)')
  .argument('<id>')
  .option('--after <event id>', 'resume after this event id instead of the saved position')
  .option('--from-start', 'stream the whole answer, ignoring the saved position')
  .addOption(json())
  .action(async (id: string, opts: { after?: string; fromStart?: boolean } & Json) => tailRunCommand(await platformContext(opts), id, opts));

const keys = program.command('keys').description('manage API keys (an admin key)');
keys
  .command('create')
  .description('create an API key and print {id, name, role, key} as JSON (the secret is shown once)')
  .option('--name <name>', 'a label for the key', 'cli')
  .option('--role <role>', 'user | admin', 'user')
  .option('--rpm <n>', 'requests per minute for this key', positiveInt)
  .addOption(json())
  .action(async (opts: { name: string; role: string; rpm?: number }) => {
    if (opts.role !== 'user' && opts.role !== 'admin') throw new InvalidArgumentError('role must be user or admin');
    const config = loadConfig();
    // A running `npm start` holds the embedded database: ask its API instead.
    await createKeyCommand({ name: opts.name, role: opts.role, ...(opts.rpm ? { rpm: opts.rpm } : {}) }, await connectPlatform(process.env, config), config);
  });
keys.command('list').description('every key (revoked ones too); secrets are never shown again').addOption(json()).action(async (opts: Json) => listKeysCommand(await platformContext(opts)));
keys.command('revoke').description('revoke a key: it authenticates nothing from now on').argument('<id>').addOption(json()).action(async (id: string, opts: Json) => revokeKeyCommand(await platformContext(opts), id));

program
  .command('config')
  .description('the config file')
  .command('check')
  .description('validate a config file and print the providers, models, agents and pipelines it would serve (exit 1 with each error\'s key path)')
  .argument('[file]', 'default: SWITCHBOARD_CONFIG, else config/switchboard.yaml')
  .addOption(json())
  .action(async (file: string | undefined, opts: Json) => {
    if (!(await configCheckCommand(cliOutput(opts.json === true), file))) process.exitCode = 1;
  });

program
  .command('status')
  .description('the platform\'s apps (health, readiness), providers and queues (an admin key; exit 1 when an app is not ready)')
  .addOption(json())
  .action(async (opts: Json) => {
    if (!(await statusCommand(await platformContext(opts)))) process.exitCode = 1;
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
  .addOption(json())
  .action(async (opts: Json) => {
    await listModelsCommand(ctx(), await platform(), opts.json === true);
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
  // One line a person can act on, no stack: a ConfigError lists its problems one per line (the rule of config check).
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error) {
    // fetch says only "fetch failed"; its cause says which address refused.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    console.error(`${error.message.split('\n')[0]}${cause}`);
  } else console.error(String(error));
  process.exit(1);
});
