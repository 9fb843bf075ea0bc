#!/usr/bin/env node
import { ConfigError } from '@switchboard/config';
import { Command, InvalidArgumentError, Option } from 'commander';

/*
 * Each action imports what it runs when it runs: the platform's apps (NestJS, BullMQ, node-llama-cpp, Prisma)
 * take seconds to load, and a command such as `runs list` needs none of them.
 */
const load = {
  agents: () => import('./agents.commands.js'),
  bench: () => import('./bench.command.js'),
  chat: () => import('./chat.command.js'),
  configCheck: () => import('./config-check.command.js'),
  keys: () => import('./keys.commands.js'),
  local: () => import('./local.commands.js'),
  runs: () => import('./runs.commands.js'),
  start: () => import('./start.command.js'),
  status: () => import('./status.command.js'),
};
type Json = { json?: boolean };
/** The running platform (over its API only), or the error that says where it was looked for. */
const context = async (opts: Json) => (await import('./command-context.js')).platformContext(opts);
const json = (): Option => new Option('--json', 'print machine-readable JSON only');
const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

const program = new Command('switchboard').description('Queue-based agent orchestration with an OpenAI-compatible gateway');

program
  .command('start')
  .description('start the platform: all apps in one process (default), or one app for scale-out')
  .argument('[app]', 'all | gateway | api | worker', 'all')
  .action(async (app: string) => (await load.start()).startCommand(app));

program
  .command('chat')
  .description('chat with an agent (or any model id) of the running platform; Ctrl-C during an answer detaches, `runs tail` resumes')
  .argument('[agent]', 'agent, pipeline or model id, as /v1/models lists it', 'auto')
  .option('--resume <run id>', "first stream the rest of this run's answer, then go on in its conversation")
  .option('--system <prompt>', 'a system message to start the conversation with')
  .addOption(json())
  .action(async (agent: string, opts: { resume?: string; system?: string } & Json) => (await load.chat()).chatCommand(await context(opts), agent, opts));

const agents = program.command('agents').description('agents of the running platform');
agents
  .command('list')
  .description('every agent, by name')
  .addOption(json())
  .action(async (opts: Json) => (await load.agents()).listAgentsCommand(await context(opts)));
agents
  .command('show')
  .description('one agent: model, tools, budgets, prompt')
  .argument('<name>', 'agent name (or id)')
  .addOption(json())
  .action(async (name: string, opts: Json) => (await load.agents()).showAgentCommand(await context(opts), name));

const runs = program.command('runs').description('runs of the running platform (a user key sees its own, an admin key all)');
runs
  .command('list')
  .description('runs, newest first')
  .option('--status <status>', 'queued | running | background | succeeded | failed | cancelled')
  .option('--limit <n>', 'how many (1-100, default 20)', positiveInt)
  .addOption(json())
  .action(async (opts: { status?: string; limit?: number } & Json) => (await load.runs()).listRunsCommand(await context(opts), opts));
runs
  .command('show')
  .description('one run: status, usage, provider attempts')
  .argument('<id>')
  .addOption(json())
  .action(async (id: string, opts: Json) => (await load.runs()).showRunCommand(await context(opts), id));
runs
  .command('cancel')
  .description('cancel a run (queued: at once; running: its worker aborts it)')
  .argument('<id>')
  .addOption(json())
  .action(async (id: string, opts: Json) => (await load.runs()).cancelRunCommand(await context(opts), id));
runs
  .command('tail')
  .description("stream a run's answer to its end, after where this machine detached from it (nothing repeated)")
  .argument('<id>')
  .option('--after <event id>', 'resume after this event id instead of the saved position')
  .option('--from-start', 'stream the whole answer, ignoring the saved position')
  .addOption(json())
  .action(async (id: string, opts: { after?: string; fromStart?: boolean } & Json) => (await load.runs()).tailRunCommand(await context(opts), id, opts));

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
    await (await load.keys()).createKeyCommand({ name: opts.name, role: opts.role, ...(opts.rpm ? { rpm: opts.rpm } : {}) });
  });
keys
  .command('list')
  .description('every key (revoked ones too); secrets are never shown again')
  .addOption(json())
  .action(async (opts: Json) => (await load.keys()).listKeysCommand(await context(opts)));
keys
  .command('revoke')
  .description('revoke a key: it authenticates nothing from now on')
  .argument('<id>')
  .addOption(json())
  .action(async (id: string, opts: Json) => (await load.keys()).revokeKeyCommand(await context(opts), id));

program
  .command('config')
  .description('the config file')
  .command('check')
  .description("validate a config file and print the providers, models, agents and pipelines it would serve (exit 1 with each error's key path)")
  .argument('[file]', 'default: SWITCHBOARD_CONFIG, else config/switchboard.yaml')
  .addOption(json())
  .action(async (file: string | undefined, opts: Json) => {
    const { cliOutput } = await import('./cli-output.js');
    if (!(await (await load.configCheck()).configCheckCommand(cliOutput(opts.json === true), file))) process.exitCode = 1;
  });

program
  .command('status')
  .description("the platform's apps (health, readiness), providers and queues (an admin key; exit 1 when an app is not ready)")
  .addOption(json())
  .action(async (opts: Json) => {
    if (!(await (await load.status()).statusCommand(await context(opts)))) process.exitCode = 1;
  });

program
  .command('db')
  .description('database tasks')
  .command('migrate')
  .description('apply pending migrations to DATABASE_URL (or the embedded database)')
  .action(async () => (await load.local()).migrateCommand());

const models = program.command('models').description('the model catalogue: list, download, select (through the running platform when one is up)');
models
  .command('list')
  .description('configured, manifest (✓ = on disk) and locally served models, with the RAM each needs and whether it fits')
  .addOption(json())
  .action(async (opts: Json) => (await load.local()).modelsListCommand(opts.json === true));
models
  .command('download')
  .description('download a model of the manifest into models/ (on a worker of the running platform, else here); resumes a partial download')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .option('--force', 'download again even if the file is there')
  .action(async (name: string, opts: { force?: boolean }) => (await load.local()).modelsDownloadCommand(name, opts.force === true));
models
  .command('select')
  .description('make a model the default local model (first model of the llama-cpp provider); a running platform serves it at once')
  .argument('<name>', 'model name, as `switchboard models list` shows it')
  .action(async (name: string) => (await load.local()).modelsSelectCommand(name));
models
  .command('make-test-model')
  .description('write the tiny generated test model (GGUF v3, random weights) for offline tests and demos')
  .argument('[file]', 'where to write it (default: models/switchboard-test-model.gguf)')
  .action(async (file: string | undefined) => (await load.local()).makeTestModelCommand(file));

program
  .command('bench')
  .description('benchmark models side by side (a job on the running platform, else here): TTFT, tokens/s, latency, memory, cost, quality')
  .argument('<models...>', 'model ids as /v1 takes them, e.g. local/qwen2.5-0.5b openrouter/meta-llama/llama-3.1-8b-instruct')
  .option('--reference <model>', "score quality as token-F1 against this model's answers (default: contains-match against expected answers)")
  .option('--max-tokens <n>', 'longest answer per prompt', (v) => Number.parseInt(v, 10))
  .action(async (ids: string[], opts: { reference?: string; maxTokens?: number }) => (await load.local()).benchModelsCommand(ids, opts));

program.parseAsync().catch((error: unknown) => {
  // One line a person can act on, no stack; a ConfigError lists its problems one per line.
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error) {
    // fetch says only "fetch failed"; its cause says which address refused.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    console.error(`${error.message.split('\n')[0]}${cause}`);
  } else console.error(String(error));
  process.exit(1);
});
