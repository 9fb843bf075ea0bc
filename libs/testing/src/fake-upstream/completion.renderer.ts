import type { FinishReason, Usage } from '@switchboard/contracts';
import type { FakeCompletionReply } from './fake-reply.types.js';

/** A completion rendered into SSE events, ready to be written as they are. */
export interface RenderedStream {
  /** The role-only first chunk. */
  head: string;
  /** One `data:` event per content delta (text, then tool-call fragments). */
  deltas: string[];
  /** The chunk carrying `finish_reason`. */
  finish: string;
  /** The usage chunk with empty `choices`, or '' when the reply reports no usage. */
  usage: string;
  /** head + deltas + finish, joined once for the no-delay path. */
  body: string;
}

export const doneEvent = 'data: [DONE]\n\n';

let idSeq = 0;
const nextId = (prefix: string): string => `${prefix}${(++idSeq).toString(36)}`;

/** Splits like a tokenizer would, roughly: a word with its trailing whitespace. */
function splitWords(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

/** Exactly `parts` pieces (fewer only when the text has fewer code points), lengths differing by at most one. */
function splitEvenly(text: string, parts: number): string[] {
  const codePoints = Array.from(text);
  const n = Math.max(1, Math.min(parts, codePoints.length));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(codePoints.slice(Math.floor((i * codePoints.length) / n), Math.floor(((i + 1) * codePoints.length) / n)).join(''));
  }
  return codePoints.length === 0 ? [] : out;
}

export function textDeltas(reply: FakeCompletionReply): string[] {
  if (reply.chunks) return reply.chunks;
  const text = reply.text ?? '';
  return reply.deltas === undefined ? splitWords(text) : splitEvenly(text, reply.deltas);
}

/**
 * What a real server does with `stop`: the text ends before the first stop sequence, the finish reason is
 * `stop`, and nothing (no tool call) follows.
 */
export function applyStop(reply: FakeCompletionReply, stop: readonly string[]): FakeCompletionReply {
  const chunks = textDeltas(reply);
  const text = chunks.join('');
  let cut = -1;
  for (const s of stop) {
    const at = s === '' ? -1 : text.indexOf(s);
    if (at !== -1 && (cut === -1 || at < cut)) cut = at;
  }
  if (cut === -1) return reply;
  const kept: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    if (length + chunk.length >= cut) {
      if (cut > length) kept.push(chunk.slice(0, cut - length));
      break;
    }
    kept.push(chunk);
    length += chunk.length;
  }
  return { ...reply, chunks: kept, toolCalls: undefined, finishReason: 'stop' };
}

function finishReasonOf(reply: FakeCompletionReply): FinishReason {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
}

function usageOf(reply: FakeCompletionReply, deltaCount: number): Usage | undefined {
  if (reply.usage === false) return undefined;
  const prompt = reply.usage?.prompt_tokens ?? 10;
  const completion = reply.usage?.completion_tokens ?? deltaCount;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: reply.usage?.total_tokens ?? prompt + completion };
}

function withToolIds(reply: FakeCompletionReply): { id: string; name: string; arguments: string; argumentDeltas: number }[] {
  return (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? nextId('call_fake'),
    name: call.name,
    arguments: call.arguments,
    argumentDeltas: call.argumentDeltas ?? 3,
  }));
}

function argumentFragments(call: { arguments: string; argumentDeltas: number }): string[] {
  return call.arguments === '' ? [] : splitEvenly(call.arguments, call.argumentDeltas);
}

/**
 * Renders a streamed completion in OpenAI's exact chunk shape. `includeUsage` mirrors
 * `stream_options.include_usage`: OpenAI then adds `"usage":null` to every chunk and a final usage chunk.
 */
export function renderStream(reply: FakeCompletionReply, model: string, includeUsage: boolean): RenderedStream {
  const base = {
    id: nextId('chatcmpl-fake'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? model,
    system_fingerprint: 'fp_fake',
  };
  const event = (delta: object, finishReason: FinishReason | null): string =>
    `data: ${JSON.stringify({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    })}\n\n`;

  const deltas = textDeltas(reply).map((content) => event({ content }, null));
  withToolIds(reply).forEach((call, index) => {
    deltas.push(
      event({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null),
    );
    for (const fragment of argumentFragments(call)) {
      deltas.push(event({ tool_calls: [{ index, function: { arguments: fragment } }] }, null));
    }
  });
  const head = event({ role: 'assistant', content: '', refusal: null }, null);
  const finish = event({}, finishReasonOf(reply));
  const usage = usageOf(reply, deltas.length);
  return {
    head,
    deltas,
    finish,
    usage: includeUsage && usage ? `data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n` : '',
    body: head + deltas.join('') + finish,
  };
}

/** Renders the non-streaming `chat.completion` JSON. */
export function renderJson(reply: FakeCompletionReply, model: string): string {
  const chunks = textDeltas(reply);
  const toolCalls = withToolIds(reply);
  // Count what the streamed form would send, so both forms report the same usage.
  const toolDeltas = toolCalls.reduce((n, c) => n + 1 + argumentFragments(c).length, 0);
  const usage = usageOf(reply, chunks.length + toolDeltas);
  const text = chunks.join('');
  return JSON.stringify({
    id: nextId('chatcmpl-fake'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? model,
    system_fingerprint: 'fp_fake',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0
            ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(reply),
      },
    ],
    ...(usage ? { usage } : {}),
  });
}
