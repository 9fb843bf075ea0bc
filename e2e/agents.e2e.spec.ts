import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunNotification } from '@switchboard/contracts';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import OpenAI from 'openai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { apiCaller, COUNCIL_PIPELINE_YAML, fakeProviderYaml, judgeReply, loopReply, PATIENT_AGENT_YAML, pipelineStageReply } from './agent-fixtures.js';
import { waitUntil } from './fault-support.js';
import { cleanUp, type PlatformProcess, startPlatformProcess } from './platform-process.js';

/**
 * Agents end to end (issue #6): the built platform in one process, a scripted upstream over HTTP that asks for
 * tools and then answers, the official openai client, and the real socket.io client for notifications.
 */

const ADMIN = 'sb-e2e-agents-admin';
let upstream: FakeUpstream;
let platform: PlatformProcess;
let gw: string;
let api: string;
let key: { id: string; key: string };
let client: OpenAI;
/** A server on loopback that http_fetch must never reach (SSRF guard). */
let secret: Server;
let secretHits = 0;

type Msg = { role: string; content: string | null; tool_calls?: unknown[] };

/** Scripts the upstream by model and by the first user message's command, e.g. `calc: ...`. */
const script = (req: FakeRequest): FakeReply => {
  const body = req.body as { model: string; messages: Msg[] };
  const firstUser = body.messages.find((m) => m.role === 'user')?.content ?? '';
  const tools = body.messages.filter((m) => m.role === 'tool');
  const judged = judgeReply(req);
  if (judged) return judged;
  const cmd = firstUser.split(':')[0] ?? '';
  switch (cmd) {
    case 'calc':
      return tools.length === 0
        ? { type: 'completion', toolCalls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }, { name: 'current_time', arguments: '{}' }] }
        : { type: 'completion', chunks: ['The answer ', 'is ', String(tools[0]!.content), '.'] };
    case 'loop':
      return loopReply(req);
    case 'ssrf':
      return tools.length === 0
        ? { type: 'completion', toolCalls: [{ name: 'http_fetch', arguments: JSON.stringify({ url: `http://127.0.0.1:${(secret.address() as AddressInfo).port}/admin` }) }] }
        : { type: 'completion', text: `The fetch said: ${String(tools[0]!.content)}` };
    default:
      return pipelineStageReply(req);
  }
};

/** The run once its record is written: that happens after the client has its answer, so it is polled for. */
async function finishedRun<T extends { status: string }>(runId: string | null): Promise<T> {
  let run: T | undefined;
  await waitUntil(async () => {
    run = await adminJson<T>('GET', `/api/runs/${runId}`);
    return run.status !== 'running' && run.status !== 'queued';
  }, 5000, 50);
  return run!;
}

const adminJson = apiCaller(() => api, ADMIN);

/** Streams a chat completion and gathers what an OpenAI client sees. */
async function stream(model: string, content: string, c = client) {
  const { data, response } = await c.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content }] }).withResponse();
  let text = '';
  let reasoning = '';
  let finish: string | null = null;
  for await (const chunk of data) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  return { text, reasoning, finish, runId: response.headers.get('x-run-id')! };
}

function connect(token: string): Promise<Socket> {
  const socket = io(api, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => reject(e));
  });
}

beforeAll(async () => {
  secret = createServer((_req, res) => {
    secretHits++;
    res.end('top secret');
  });
  await new Promise<void>((r) => secret.listen(0, '127.0.0.1', r));
  upstream = await startFakeUpstream({ reply: script, models: ['m1'] });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 200 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN} }
${fakeProviderYaml(upstream.url)}
agents:
  - name: tooly
    model: fake/m1
    system_prompt: You use tools.
    tools: [calculator, current_time, http_fetch]
${PATIENT_AGENT_YAML}
  - name: strict
    model: fake/m1
    tools: [calculator]
    budgets: { sync: { max_iterations: 3, max_seconds: 30 }, background: { max_iterations: 9, max_seconds: 60 } }
    on_budget_exceeded: stop
${COUNCIL_PIPELINE_YAML}
`,
  });
  gw = platform.urls.gateway!;
  api = platform.urls.api!;
  key = await adminJson('POST', '/api/keys', { name: 'agents-e2e' });
  client = new OpenAI({ baseURL: `${gw}/v1`, apiKey: key.key, maxRetries: 0 });
}, 120000);

afterAll(async () => {
  await platform?.stop();
  await cleanUp(platform);
  await upstream?.close();
  await new Promise((r) => secret?.close(r));
});

describe('agents through the gateway', () => {
  it('lists agents and pipelines as models', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['tooly', 'patient', 'strict', 'council', 'fake/m1', 'auto']));
  });

  it('streams a multi-step tool run: tool steps as reasoning, then the answer', async () => {
    const r = await stream('tooly', 'calc: what is 6*7, and what time is it?');
    expect(r.reasoning).toMatch(/Running calculator\(\{"expression":"6\*7"\}\)/);
    expect(r.reasoning).toMatch(/calculator → 42/);
    expect(r.reasoning).toMatch(/current_time → UTC: \d{4}-/);
    expect(r.text).toBe('The answer is 42.');
    expect(r.finish).toBe('stop');
    const run = await finishedRun<{ status: string; output: { iterations: number; tool_steps: { name: string; ok: boolean }[] } }>(r.runId);
    expect(run.status).toBe('succeeded');
    expect(run.output.iterations).toBe(2);
    expect(run.output.tool_steps.map((s) => s.name)).toEqual(['calculator', 'current_time']);
  });

  it('refuses SSRF targets: the model reads the refusal, the internal server is never reached', async () => {
    const r = await stream('tooly', 'ssrf: read the admin page');
    expect(r.text).toMatch(/^The fetch said: Error: .*(loopback|private|internal)/i);
    expect(secretHits).toBe(0);
  });

  it('stops a run at its budget when the agent says stop, and says why', async () => {
    const r = await stream('strict', 'loop: never ends');
    expect(r.text).toBe('step0. step1. step2. \n\n[Stopped: the sync budget of 3 model calls was used up.]');
    expect(r.finish).toBe('length');
  });

  it('moves a run over its sync budget to the background, then notifies and adds the result to the conversation', async () => {
    const socket = await connect(key.key);
    const received: RunNotification[] = [];
    for (const type of ['run.started', 'run.progress', 'run.backgrounded', 'run.completed', 'run.failed']) {
      socket.on(type, (n: RunNotification) => received.push(n));
    }
    try {
      const r = await stream('patient', 'loop: a long task');
      // The client's answer: what was streamed, then the note that the task goes on, with the run id.
      expect(r.text).toBe(
        `step0. step1. \n\nThis is taking longer than a chat answer should, so it goes on in the background (run ${r.runId}). ` +
          'The result will be added to this conversation, and you will be notified when it is ready.',
      );
      expect(r.finish).toBe('stop');

      const completed = await waitUntil(() => received.some((n) => n.type === 'run.completed' && n.runId === r.runId), 15000);
      if (!completed) console.log(JSON.stringify(received), platform.output().slice(-3000));
      expect(completed).toBe(true);
      const mine = received.filter((n) => n.runId === r.runId);
      expect(mine.map((n) => n.type)).toEqual(expect.arrayContaining(['run.started', 'run.backgrounded', 'run.progress', 'run.completed']));
      const done = mine.find((n) => n.type === 'run.completed')!;
      // Every notification of the run names the same conversation: the one its result was added to.
      expect(new Set(mine.map((n) => n.conversationId)).size).toBe(1);
      expect(done.apiKeyId).toBe(key.id);
      expect(done.conversationId).toEqual(expect.any(String));
      expect(done.text).toContain('[Stopped: the background budget of 5 model calls was used up.]');

      const run = await adminJson<{ status: string; mode: string; conversation_id: string; cost: number }>('GET', `/api/runs/${r.runId}`);
      expect(run).toMatchObject({ status: 'succeeded', mode: 'background', conversation_id: done.conversationId });
      expect(run.cost).toBeGreaterThan(0);
      const messages = await adminJson<{ data: { role: string; content: string }[] }>('GET', `/api/conversations/${done.conversationId}/messages`);
      expect(messages.data.at(-1)).toMatchObject({ role: 'assistant', content: done.text });
      expect(done.text).toMatch(/^step0\. step1\. step2\. step3\. step4\. /);
    } finally {
      socket.close();
    }
  });

  it('runs a three-stage pipeline with a vote, keeping each stage on the run', async () => {
    const r = await stream('council', 'Is the sky blue?');
    expect(r.text).toBe('Final: the judges agreed.');
    expect(r.reasoning).toMatch(/Stage 1 of 3: draft[\s\S]*Stage 3 of 3: final/);
    const run = await finishedRun<{ status: string; output: { pipeline: string; stages: { stage: string; output: string; votes?: { answer: string; count: number }[] }[] } }>(r.runId);
    expect(run.output.pipeline).toBe('council');
    expect(run.output.stages.map((s) => s.stage)).toEqual(['draft', 'judges', 'final']);
    expect(run.output.stages[0]!.output).toBe('draft answer');
    expect(run.output.stages[1]!.votes).toEqual([expect.objectContaining({ answer: 'yes', count: 2 }), expect.objectContaining({ answer: 'no', count: 1 })]);
    expect(run.output.stages[2]!.output).toBe('Final: the judges agreed.');
  });

  it('runs agents made and edited through the admin API, without a restart', async () => {
    const created = await adminJson<{ id: string }>('POST', '/api/agents', { name: 'api-made', model: 'fake/m1', system_prompt: 'First prompt.', tools: ['calculator'] });
    // Gateways and workers read the database's agents every 2 s, each on its own timer: the gateway may list the
    // agent before the worker that runs it knows it (its run then fails "does not exist"), so ask until it answers.
    expect(await waitUntil(async () => (await client.models.list()).data.some((m) => m.id === 'api-made'), 15000, 200)).toBe(true);
    let first = { text: '' };
    expect(await waitUntil(async () => (first = await stream('api-made', 'calc: via the API').catch(() => ({ text: '' }))).text !== '', 15000, 500)).toBe(true);
    expect(first.text).toBe('The answer is 42.');
    const systemOf = (r: FakeRequest) => (r.body as { messages: Msg[] }).messages.find((m) => m.role === 'system')?.content;
    expect(upstream.requests.filter((r) => systemOf(r) === 'First prompt.').length).toBeGreaterThanOrEqual(2);

    await adminJson('PATCH', `/api/agents/${created.id}`, { system_prompt: 'Second prompt.' });
    expect(
      await waitUntil(async () => {
        const before = upstream.requests.length;
        await stream('api-made', 'plain: hello');
        return upstream.requests.slice(before).some((r) => systemOf(r) === 'Second prompt.');
      }, 15000, 500),
    ).toBe(true);

    await adminJson('DELETE', `/api/agents/${created.id}`);
    expect(await waitUntil(async () => !(await client.models.list()).data.some((m) => m.id === 'api-made'), 15000, 200)).toBe(true);
  });

  it('refuses a key that spent its budget with 429 and a clear message', async () => {
    const limited = await adminJson<{ key: string }>('POST', '/api/keys', { name: 'tight', budget_tokens: 5, budget_period: 'day' });
    const c = new OpenAI({ baseURL: `${gw}/v1`, apiKey: limited.key, maxRetries: 0 });
    await c.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'hello' }] });
    // The spend lands when the run is recorded; the gateway reads a budgeted key's spend again every second.
    let refusal: unknown;
    expect(
      await waitUntil(async () => {
        try {
          await c.chat.completions.create({ model: 'fake/m1', messages: [{ role: 'user', content: 'again' }] });
          return false;
        } catch (e) {
          refusal = e;
          return true;
        }
      }, 10000, 200),
    ).toBe(true);
    expect(refusal).toBeInstanceOf(OpenAI.RateLimitError);
    const e = refusal as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.code).toBe('budget_exceeded');
    expect(e.message).toMatch(/used \d+ of its 5 tokens today\. Its budget resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(0);
  });
});
