import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentDto, AgentList, ApiKeyDto, PageResponse, RunDto } from '@switchboard/contracts';
import { createGate, type FakeReply, type FakeRequest, type FakeUpstream, type Gate, getFreePort, startFakeUpstream } from '@switchboard/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from './fault-support.js';
import { cleanUp, type PlatformProcess, repoRoot, startPlatformProcess } from './platform-process.js';

/**
 * The CLI (`node apps/cli/dist/main.js`, built) against a running platform over its HTTP API and gateway only:
 * every command with --json parsed, chat over stdin against a fake upstream, a detached answer resumed by
 * `runs tail` without repeating or losing text, cancel, keys revoked for real, config check, status, and the
 * errors a person gets for a user key on admin commands or a platform that is not there.
 */
const ADMIN = 'cli-e2e-admin-key-0123456789';
/** Words the held answer streams before it waits for the test to open its gate. */
const HELD_WORDS = 5;
const FULL = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ') + '.';
const words = (text: string): string[] => text.match(/\s*\S+/g) ?? [];

let platform: PlatformProcess;
let upstream: FakeUpstream;
let home: string;
let dir: string;
const gates: Gate[] = [];
/** The terminals spawnTty started: killed after the tests, should one be left waiting. */
const ttys: ChildProcess[] = [];

/** What the fake upstream answers, by the last user message: a short fixed reply, or one held mid-answer. */
let heldGate: Gate = createGate();
function reply(req: FakeRequest): FakeReply {
  const messages = (req.body as { messages: { role: string; content: string }[] }).messages;
  const last = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  if (last.startsWith('hold')) return { type: 'completion', chunks: words(FULL), deltaDelayMs: 5, holdAfterDeltas: { after: HELD_WORDS, until: heldGate.opened } };
  return { type: 'completion', text: `echo ${last} (${messages.length} messages)` };
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cliEnv(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, SWITCHBOARD_URL: platform.urls.api!, SWITCHBOARD_KEY: key, ...extra };
}

function spawnCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliRun>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/dist/main.js'), ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

async function cli(args: string[], env: Record<string, string> = cliEnv(ADMIN), stdin = ''): Promise<CliRun> {
  const run = spawnCli(args, env);
  run.child.stdin!.end(stdin);
  return run.done;
}

async function cliJson<T>(args: string[], env?: Record<string, string>): Promise<T> {
  const run = await cli([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`switchboard ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Starts `chat` on a held answer and detaches with SIGINT once the held words are shown: the run id and what it showed. */
async function detachedChat(): Promise<{ runId: string; shown: string; run: CliRun }> {
  const chat = spawnCli(['chat', 'remote/fake-model'], cliEnv(ADMIN));
  chat.child.stdin!.write('hold on\n');
  expect(await waitUntil(() => words(chat.stdout()).length >= HELD_WORDS, 20000)).toBe(true);
  chat.child.kill('SIGINT');
  const run = await chat.done;
  const runId = /run (\S+)/.exec(run.stderr)?.[1];
  if (!runId) throw new Error(`no run id in: ${run.stderr}`);
  return { runId, shown: run.stdout, run };
}

/**
 * The CLI at a terminal: run under util-linux's `script`, which gives it a pseudo-terminal (stdin, stdout and
 * stderr are one TTY), so readline is in raw mode and Ctrl-C and Ctrl-D arrive as the keys a person presses.
 * `screen()` is what the terminal showed, escape sequences removed and line ends made `\n`.
 */
function spawnTty(
  args: string[],
  env: Record<string, string>,
): { keys(text: string): void; screen(): string; shows(what: string, test: (screen: string) => boolean): Promise<void>; done: Promise<CliRun> } {
  const command = [process.execPath, path.join(repoRoot, 'apps/cli/dist/main.js'), ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { cwd: repoRoot, env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout!.on('data', (d: Buffer) => (raw += d.toString()));
  const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'); // readline's cursor moves
  const screen = (): string => raw.replace(escapes, '').replace(/\r\n|\r/g, '\n');
  const done = new Promise<CliRun>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: screen(), stderr: '' })));
  ttys.push(child);
  // What a test waits for, with the screen in the failure when it never comes.
  const shows = async (what: string, test: (screen: string) => boolean): Promise<void> => {
    if (!(await waitUntil(() => test(screen()), 20000))) throw new Error(`the terminal never showed ${what}; it shows:\n${screen()}`);
  };
  return { keys: (text) => void child.stdin!.write(text), screen, shows, done };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-cli-e2e-'));
  home = path.join(dir, 'home');
  upstream = await startFakeUpstream({ models: ['fake-model'], reply });
  platform = await startPlatformProcess({
    dir,
    configYaml: ({ prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 200 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN} }
models: { test_model: false, discovery: { docker_model_runner_url: "", ollama_url: "" } }
providers:
  - name: remote
    type: openai-compatible
    base_url: ${upstream.url}
    models: [fake-model]
auto_pick: { priority: [remote] }
cache: { enabled: false }
rate_limit: { requests_per_minute: 100000 }
agents:
  - name: helper
    description: answers through the fake upstream
    model: remote/fake-model
    system_prompt: Be brief.
    tools: [calculator]
`,
  });
}, 120000);

afterAll(async () => {
  for (const tty of ttys) if (tty.exitCode === null && tty.signalCode === null) tty.kill('SIGKILL');
  heldGate.open();
  for (const gate of gates) gate.open();
  await platform?.stop();
  await upstream?.close();
  await cleanUp(platform);
  rmSync(dir, { recursive: true, force: true });
}, 60000);

describe('agents', () => {
  it('lists and shows agents as JSON, and names the choices for one that is not there', async () => {
    const list = await cliJson<AgentList>(['agents', 'list']);
    expect(list.data.map((a) => a.name)).toContain('helper');
    const helper = await cliJson<AgentDto>(['agents', 'show', 'helper']);
    expect(helper).toMatchObject({ name: 'helper', model: 'remote/fake-model', tools: ['calculator'], system_prompt: 'Be brief.' });
    const table = await cli(['agents', 'list']);
    expect(table.stdout).toMatch(/^name\s+model\s+tools\s+source\s+description$/m);
    expect(table.stdout).toMatch(/^helper\s+remote\/fake-model\s+calculator\s+config\s+answers through/m);
    const missing = await cli(['agents', 'show', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringContaining('no agent named "nobody"')]);
    expect(missing.stderr).toContain('helper');
  }, 60000);
});

describe('chat', () => {
  it('streams each answer of a conversation read from stdin, sending the history, and records one conversation', async () => {
    const before = upstream.requests.length;
    const run = await cli(['chat', 'remote/fake-model'], cliEnv(ADMIN), 'Hello\nAgain\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('echo Hello (1 messages)\necho Again (3 messages)\n');
    const ids = [...run.stderr.matchAll(/^run (\S+)$/gm)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const second = upstream.requests.slice(before)[1]!.body as { messages: { role: string; content: string }[] };
    expect(second.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    // Both runs are recorded in the conversation the first one started.
    let runs: RunDto[] = [];
    await waitUntil(async () => {
      runs = await Promise.all(ids.map((id) => cliJson<RunDto>(['runs', 'show', id])));
      return runs.every((r) => r.status === 'succeeded' && r.conversation_id !== null);
    }, 15000, 200);
    expect(runs.map((r) => r.conversation_id)).toEqual([ids[0], ids[0]]);
  }, 60000);

  it('talks to an agent and reports each turn as a JSON line with --json', async () => {
    const run = await cli(['chat', 'helper', '--json'], cliEnv(ADMIN), 'Hi\n');
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; run_id: string; text?: string });
    expect(events.map((e) => e.event)).toEqual(['run', 'answer']);
    // The agent's system prompt comes first: two messages reach the upstream.
    expect(events[1]).toMatchObject({ run_id: events[0]!.run_id, text: 'echo Hi (2 messages)', finish_reason: 'stop' });
    expect(run.stderr).toBe('');
  }, 60000);

  it('detaches on Ctrl-C mid-answer; runs tail prints the rest, nothing repeated or lost', async () => {
    heldGate = createGate();
    const { runId, shown, run } = await detachedChat();
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`Resume with: switchboard runs tail ${runId}`);
    expect(shown).toBe(words(FULL).slice(0, HELD_WORDS).join(''));
    // The run goes on without its client.
    expect((await cliJson<RunDto>(['runs', 'show', runId])).status).toMatch(/running|queued/);
    heldGate.open();
    const tail = await cli(['runs', 'tail', runId]);
    expect(tail.code).toBe(0);
    expect(tail.stdout.length).toBeGreaterThan(1);
    expect(shown + tail.stdout.trimEnd()).toBe(FULL);
    // Followed to its end: a later tail has no saved position and replays the whole answer.
    const again = await cli(['runs', 'tail', runId, '--json']);
    const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as object);
    expect(events).toEqual([{ event: 'run', run_id: runId }, { event: 'answer', run_id: runId, text: FULL, finish_reason: 'stop', resumed_after: null }]);
  }, 60000);

  it('with --json reports the detach as a JSON line whose event id `runs tail --after` resumes from; --from-start replays all', async () => {
    heldGate = createGate();
    const before = upstream.requests.length;
    const chat = spawnCli(['chat', 'remote/fake-model', '--json', '--system', 'Be terse.'], cliEnv(ADMIN));
    chat.child.stdin!.write('hold on\n');
    expect(await waitUntil(() => chat.stdout().includes('"event":"run"') && upstream.requests.length > before, 20000)).toBe(true);
    // With --json the words are not on stdout: the held ones (5 ms apart) have reached the CLI well within this.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    chat.child.kill('SIGINT');
    const run = await chat.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; run_id: string; last_event_id: string | null });
    expect(lines.map((l) => l.event)).toEqual(['run', 'detached']);
    const { run_id: runId, last_event_id: lastEventId } = lines[1]!;
    expect(lastEventId).toMatch(/^\d+$/);
    const sent = upstream.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
    heldGate.open();
    const rest = await cli(['runs', 'tail', runId, '--after', lastEventId!, '--json']);
    const answer = JSON.parse(rest.stdout.trim().split('\n').at(-1)!) as { text: string; resumed_after: string };
    expect(answer.resumed_after).toBe(lastEventId);
    expect(FULL.endsWith(answer.text)).toBe(true);
    expect(answer.text.length).toBeLessThan(FULL.length);
    const all = await cli(['runs', 'tail', runId, '--from-start']);
    expect(all.stdout).toBe(`${FULL}\n`);
  }, 60000);

  it('chat --resume streams the rest, then goes on in the same conversation with its history', async () => {
    heldGate = createGate();
    const { runId, shown } = await detachedChat();
    heldGate.open();
    const before = upstream.requests.length;
    const resumed = await cli(['chat', '--resume', runId], cliEnv(ADMIN), 'Next\n');
    expect(resumed.code).toBe(0);
    const [rest, next] = resumed.stdout.split('\n');
    expect(shown + rest!).toBe(FULL);
    expect(next).toBe('echo Next (3 messages)');
    const sent = upstream.requests.slice(before).at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages).toEqual([
      { role: 'user', content: 'hold on' },
      { role: 'assistant', content: FULL },
      { role: 'user', content: 'Next' },
    ]);
  }, 60000);
});

/** `chat` at a terminal with a held answer on screen: the words shown so far. */
async function heldAtTerminal(): Promise<{ chat: ReturnType<typeof spawnTty>; held: string }> {
  heldGate = createGate();
  const chat = spawnTty(['chat', 'remote/fake-model'], cliEnv(ADMIN));
  await chat.shows('the prompt', (t) => t.endsWith('> '));
  chat.keys('hold on\r');
  const held = words(FULL).slice(0, HELD_WORDS).join('');
  await chat.shows('the held words', (t) => t.includes(held));
  return { chat, held };
}

describe('chat at a terminal', () => {
  it('prompts, tells a model that is not there and asks again, and quits on Ctrl-D', async () => {
    const chat = spawnTty(['chat', 'nowhere/m1'], cliEnv(ADMIN));
    await chat.shows('the first prompt', (t) => t.includes('Ctrl-D quits') && t.endsWith('> '));
    chat.keys('Hello\r');
    // A script would get the error and exit 1; a person is told and prompted again.
    await chat.shows('the error, then the prompt again', (t) => /> Hello\n+.*nowhere\/m1.*\n> $/.test(t));
    chat.keys('\x04');
    expect((await chat.done).code).toBe(0);
    // The same lines piped in: the first error ends the chat with exit 1.
    const piped = await cli(['chat', 'nowhere/m1'], cliEnv(ADMIN), 'Hello\nAgain\n');
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('nowhere/m1');
  }, 60000);

  it('quits on Ctrl-D pressed while an answer streams, once the answer is whole', async () => {
    const { chat } = await heldAtTerminal();
    chat.keys('\x04');
    heldGate.open();
    const run = await chat.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(FULL);
    // No prompt after the answer: the chat ended instead of asking again.
    expect(run.stdout.endsWith('> ')).toBe(false);
  }, 60000);

  it('detaches on Ctrl-C mid-answer, naming the run to resume', async () => {
    const { chat, held } = await heldAtTerminal();
    chat.keys('\x03');
    const run = await chat.done;
    expect(run.code).toBe(130);
    const runId = /Resume with: switchboard runs tail (\S+)/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    heldGate.open();
    const tail = await cli(['runs', 'tail', runId!]);
    expect(held + tail.stdout.trimEnd()).toBe(FULL);
  }, 60000);
});


describe('runs', () => {
  it('lists with --status and --limit, shows one, and cancels a running one', async () => {
    const page = await cliJson<PageResponse<RunDto>>(['runs', 'list', '--status', 'succeeded', '--limit', '2']);
    expect(page.data).toHaveLength(2);
    expect(page.data.every((r) => r.status === 'succeeded')).toBe(true);
    const table = await cli(['runs', 'list', '--limit', '3']);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+status\s+model\s+answered by\s+tokens\s+created$/);

    heldGate = createGate();
    gates.push(heldGate);
    const { runId } = await detachedChat();
    const cancelled = await cliJson<RunDto>(['runs', 'cancel', runId]);
    expect(cancelled.id).toBe(runId);
    let status = '';
    await waitUntil(async () => (status = (await cliJson<RunDto>(['runs', 'show', runId])).status) === 'cancelled', 15000, 200);
    expect(status).toBe('cancelled');
    const twice = await cli(['runs', 'cancel', runId]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('already ended');
  }, 60000);
});

describe('keys', () => {
  it('creates, lists and revokes a key; the revoked key gets 401; a user key on admin commands gets a clear error', async () => {
    const created = await cliJson<{ id: string; key: string; role: string }>(['keys', 'create', '--name', 'cli-user']);
    expect(created).toMatchObject({ role: 'user', key: expect.stringMatching(/^sb-/) });
    const list = await cliJson<{ data: ApiKeyDto[] }>(['keys', 'list']);
    expect(list.data.find((k) => k.id === created.id)).toMatchObject({ name: 'cli-user', revoked_at: null });

    const user = cliEnv(created.key);
    const mine = await cli(['chat', 'remote/fake-model'], user, 'Mine\n');
    expect(mine.stdout).toBe('echo Mine (1 messages)\n');
    const myRun = /^run (\S+)$/m.exec(mine.stderr)![1]!;
    // A user key sees its own runs only (the admin's many runs are not listed).
    let own: RunDto[] = [];
    await waitUntil(async () => (own = (await cliJson<PageResponse<RunDto>>(['runs', 'list'], user)).data).length > 0, 15000, 200);
    expect(own.map((r) => r.id)).toEqual([myRun]);
    for (const args of [['keys', 'list'], ['status']]) {
      const refused = await cli([...args, '--json'], user);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain('this needs an admin key: set SWITCHBOARD_KEY to one');
    }

    const revoked = await cliJson<ApiKeyDto>(['keys', 'revoke', created.id]);
    expect(revoked.revoked_at).not.toBeNull();
    const gateway = (await (await fetch(`${platform.urls.api}/api/config`)).json()) as { gateway_url: string };
    expect((await fetch(`${gateway.gateway_url}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(401);
    const after = await cli(['runs', 'list'], user);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('set SWITCHBOARD_KEY to a key of the platform');
  }, 90000);
});

describe('config check', () => {
  it('prints what a valid file would serve, and each error of a bad one with its path (exit 1)', async () => {
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, `providers:\n  - { name: remote, type: openai-compatible, base_url: http://127.0.0.1:9/v1, models: [m1, m2] }\nagents:\n  - { name: helper, model: remote/m1 }\n`);
    const ok = await cliJson<{ valid: boolean; models: string[]; agents: string[]; providers: { name: string }[] }>(['config', 'check', good], { PATH: process.env.PATH ?? '', HOME: home });
    expect(ok).toMatchObject({ valid: true, agents: ['helper'] });
    expect(ok.providers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'remote', models: ['m1', 'm2'] })]));
    expect(ok.models).toEqual(expect.arrayContaining(['helper', 'remote/m1', 'remote/m2', 'auto']));

    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, `providers:\n  - { name: remote, type: openai-compatibel, models: [m1] }\nserver: { gateway_port: -1 }\n`);
    const env = { PATH: process.env.PATH ?? '', HOME: home };
    const human = await cli(['config', 'check', bad], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('providers[0].type');
    expect(human.stderr).toContain('server.gateway_port');
    const json = await cli(['config', 'check', bad, '--json'], env);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout) as { valid: boolean; file: string; errors: { path: string; message: string }[] };
    expect(result).toMatchObject({ valid: false, file: bad });
    expect(result.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['providers[0].type', 'server.gateway_port']));
  }, 60000);
});

describe('status', () => {
  it('reports every app ready, the providers and the queues', async () => {
    const status = await cliJson<{ ok: boolean; apps: { app: string; ready: boolean }[]; providers: { name: string; circuit: { state: string } }[]; queues: { queues: { name: string }[] } }>(
      ['status'],
      cliEnv(ADMIN, { SWITCHBOARD_WORKER_URL: platform.urls.worker! }),
    );
    expect(status.ok).toBe(true);
    expect(status.apps.map((a) => [a.app, a.ready])).toEqual([['api', true], ['gateway', true], ['worker', true]]);
    expect(status.providers).toEqual([expect.objectContaining({ name: 'remote', circuit: expect.objectContaining({ state: 'closed' }) })]);
    expect(status.queues.queues.length).toBeGreaterThan(0);
    const human = await cli(['status'], cliEnv(ADMIN));
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^gateway\s+http:\/\/\S+\s+ready$/m);
    // An app that does not answer: said so, and exit 1 for scripts that check.
    const nobody = await getFreePort();
    const down = await cli(['status', '--json'], cliEnv(ADMIN, { SWITCHBOARD_WORKER_URL: `http://127.0.0.1:${nobody}` }));
    expect(down.code).toBe(1);
    const report = JSON.parse(down.stdout) as { ok: boolean; apps: { app: string; alive: boolean; detail: string | null }[] };
    expect(report.ok).toBe(false);
    expect(report.apps.find((a) => a.app === 'worker')).toMatchObject({ alive: false, detail: expect.stringContaining('ECONNREFUSED') });
  }, 60000);

  it('says in one line when the platform is not there', async () => {
    const down = await cli(['runs', 'list'], { ...cliEnv(ADMIN), SWITCHBOARD_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringContaining('SWITCHBOARD_URL=http://127.0.0.1:9 does not answer')]);
    // No SWITCHBOARD_URL: this machine's api, from its config, and it is not up either.
    const port = await getFreePort();
    const config = path.join(dir, 'elsewhere.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, api_port: ${port} }\n`);
    const local = await cli(['agents', 'list'], { PATH: process.env.PATH ?? '', HOME: home, SWITCHBOARD_CONFIG: config });
    expect(local.code).toBe(1);
    expect(local.stderr.trim().split('\n')).toEqual([`no platform answers at http://127.0.0.1:${port} (this machine's api); start one (npm start) or set SWITCHBOARD_URL to its api`]);
  }, 60000);
});
