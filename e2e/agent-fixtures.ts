import type { FakeReply, FakeRequest } from '@switchboard/testing';

/**
 * What the agent and web-app end-to-end tests share: the fake provider with its pricing, the `patient` agent
 * (goes to the background), the `council` pipeline (draft, three judges voting, final), and the upstream's
 * replies that drive them.
 */

export const fakeProviderYaml = (url: string): string => `providers:
  - name: fake
    type: openai-compatible
    base_url: ${url}
    models: [m1, judge-a, judge-b, judge-c]
    pricing: { '*': { input: 1, output: 2 } }
auto_pick: { priority: [fake] }
rate_limit: { requests_per_minute: 100000 }`;

export const PATIENT_AGENT_YAML = `  - name: patient
    model: fake/m1
    tools: [calculator]
    budgets: { sync: { max_iterations: 2, max_seconds: 30 }, background: { max_iterations: 5, max_seconds: 60 } }
    on_budget_exceeded: background`;

export const COUNCIL_PIPELINE_YAML = `pipelines:
  - name: council
    stages:
      - { name: draft, type: single, model: fake/m1 }
      - { name: judges, type: multi, models: [fake/judge-a, fake/judge-b, fake/judge-c], aggregate: { method: vote } }
      - { name: final, type: single, model: fake/m1, input_from: [draft, judges] }`;

/**
 * The whole config of the browser specs that chat with agents and run pipelines (web-chat, web-pipelines): the
 * fake provider, the `patient` agent and the `council` pipeline, as startPlatformProcess's `configYaml`.
 */
export const agentsPlatformYaml =
  (upstreamUrl: string, adminKey: string) =>
  ({ dir, prefix }: { dir: string; prefix: string }): string => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 500 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${adminKey} }
${fakeProviderYaml(upstreamUrl)}
agents:
${PATIENT_AGENT_YAML}
${COUNCIL_PIPELINE_YAML}
`;

type Msg = { role: string; content: string | null };

/** The judges vote yes, yes, no. */
export function judgeReply(req: FakeRequest): FakeReply | null {
  const model = (req.body as { model: string }).model;
  if (!model.startsWith('judge-')) return null;
  return { type: 'completion', text: model === 'judge-c' ? 'No.' : 'Yes', usage: { prompt_tokens: 5, completion_tokens: 1 } };
}

/** `loop:`: a tool call every step, so the agent runs until a budget stops it. */
export function loopReply(req: FakeRequest): FakeReply {
  const tools = (req.body as { messages: Msg[] }).messages.filter((m) => m.role === 'tool');
  return { type: 'completion', text: `step${tools.length}. `, toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }], deltaDelayMs: 20 };
}

/** The council's stages: the draft reads the request, the final stage reads the draft and the judges' verdict. */
export function pipelineStageReply(req: FakeRequest): FakeReply {
  const last = (req.body as { messages: Msg[] }).messages.at(-1)?.content ?? '';
  if (last.includes('Yes') && last.includes('draft')) return { type: 'completion', chunks: ['Final: ', 'the judges ', 'agreed.'] };
  return { type: 'completion', text: 'draft answer' };
}

/** A JSON call to the api with a key; throws with the body on an error status. */
export function apiCaller(base: () => string, key: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
}
