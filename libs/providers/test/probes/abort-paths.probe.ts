/**
 * Run by openai-compatible.process.spec.ts in a child process with --unhandled-rejections=strict: every way a
 * call can end early, including streams nobody reads. Any unhandled rejection kills the process; timers or
 * sockets left behind are reported on stdout.
 */
import { openAICompatibleProviderSchema } from '@switchboard/contracts';
import { createOpenAICompatibleModel, type LanguageModel, type StreamPart } from '../../src/index.js';
import { startFakeUpstream, type FakeReply } from '@switchboard/testing';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };
const slow: FakeReply = { type: 'completion', text: 'x '.repeat(200), deltas: 200, deltaDelayMs: 10 };

let reply: FakeReply = slow;
const upstream = await startFakeUpstream({ reply: () => reply });
const model = (limits: { first_token_timeout_ms?: number; timeout_ms?: number } = {}): LanguageModel =>
  createOpenAICompatibleModel(
    openAICompatibleProviderSchema.parse({ name: 'probe', type: 'openai-compatible', base_url: upstream.url, ...limits }),
    'm',
  );
const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);
async function read(stream: AsyncIterable<StreamPart>, count = Infinity): Promise<void> {
  let n = 0;
  for await (const _ of stream) if (++n >= count) break;
}

const m = model({ timeout_ms: 400, first_token_timeout_ms: 200 });

// Aborted while being read.
{
  const c = new AbortController();
  const { stream } = await m.doStream({ ...hi, abortSignal: c.signal });
  setTimeout(() => c.abort(), 30);
  await read(stream);
}
// Aborted while nobody reads, then never read.
{
  const c = new AbortController();
  await m.doStream({ ...hi, abortSignal: c.signal });
  c.abort();
}
// Never read, never aborted: the whole-call timer ends it.
await m.doStream(hi);
// Silent provider, never read: the first-token timer ends it.
reply = { type: 'hang', afterHeaders: true };
await m.doStream(hi);
// Silent before headers: doStream rejects.
reply = { type: 'hang' };
await settle(m.doStream(hi));
// Consumer stops early.
reply = slow;
await read((await m.doStream(hi)).stream, 2);
// Already aborted.
await settle(m.doStream({ ...hi, abortSignal: AbortSignal.abort() }));
await settle(m.doGenerate({ ...hi, abortSignal: AbortSignal.abort() }));
// Aborted during doGenerate.
reply = { type: 'hang' };
{
  const c = new AbortController();
  const pending = settle(m.doGenerate({ ...hi, abortSignal: c.signal }));
  setTimeout(() => c.abort(), 30);
  await pending;
}
// Faults.
for (const fault of [
  { type: 'completion', chunks: ['a', 'b', 'c'], dropAfterDeltas: 1 },
  { type: 'completion', chunks: ['a', 'b', 'c'], errorAfterDeltas: { after: 1, message: 'boom' } },
  { type: 'http-error', status: 500 },
  { type: 'http-error', status: 400 },
] satisfies FakeReply[]) {
  reply = fault;
  const result = await settle(m.doStream(hi));
  if (result && typeof result === 'object' && 'stream' in result) await read(result.stream as AsyncIterable<StreamPart>);
  await settle(m.doGenerate(hi));
}
// A finished call whose signal aborts afterwards.
{
  reply = { type: 'completion', text: 'done' };
  const c = new AbortController();
  await read((await m.doStream({ ...hi, abortSignal: c.signal })).stream);
  c.abort();
}

// Longer than every timer above could run.
await sleep(700);
await upstream.close();
await sleep(50);
const leftovers = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
console.log(JSON.stringify({ ok: true, leftovers }));
