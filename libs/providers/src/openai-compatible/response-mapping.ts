import { APIError, type OpenAI } from 'openai';
import type { FinishReason, Usage } from '@switchboard/contracts';
import { emptyUsage, ProviderError, type GenerateResult, type StreamPart } from '../language-model.js';
import type { CallControl } from '../call-control.js';
import { cutError, toProviderError, type ErrorContext } from './error-mapping.js';
import { decodeSseData } from './sse-decoder.js';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type ToolCallDelta = OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall;
type UpstreamUsage = Partial<OpenAI.CompletionUsage> | null | undefined;

let generatedIds = 0;
/** For servers that stream or return a tool call without an id (some Ollama and llama.cpp versions). */
const generateToolCallId = (): string => `call_sb${Date.now().toString(36)}${(++generatedIds).toString(36)}`;

/**
 * Upstream reasons we cannot represent become `stop`. Servers that answer `stop` (older Ollama) or
 * `function_call` after streaming tool calls are normalised to `tool_calls`, which is what clients act on.
 */
function toFinishReason(reason: string, sawToolCalls: boolean): FinishReason {
  switch (reason) {
    case 'length':
    case 'content_filter':
    case 'error':
      return reason;
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    default:
      return sawToolCalls ? 'tool_calls' : 'stop';
  }
}

export function toUsage(usage: UpstreamUsage): Usage {
  if (!usage) return emptyUsage();
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: usage.total_tokens ?? prompt + completion };
}

/** Reasoning deltas (`reasoning_content`, OpenRouter's `reasoning`) are not parts of ours, but prove the upstream is alive. */
function hasReasoning(delta: object): boolean {
  const d = delta as { reasoning_content?: unknown; reasoning?: unknown };
  return !!d.reasoning_content || !!d.reasoning;
}

/**
 * Turns a chat completion SSE body into StreamParts. Exactly one `finish` or `error` ends it, and it never
 * throws: transport failures, upstream error events, our timeouts and the caller's abort all become an
 * `error` part.
 */
export async function* toStreamParts(body: AsyncIterable<Uint8Array>, call: CallControl, ctx: ErrorContext): AsyncGenerator<StreamPart> {
  let finishReason: string | undefined;
  let sawDone = false;
  let usage: UpstreamUsage;
  /** Tool call ids by index: the first delta of an index carries id and name, later ones only arguments. */
  const toolCallIds: string[] = [];
  let failure: { error: unknown } | undefined;
  let completed = false;
  try {
    try {
      for await (const data of decodeSseData(body)) {
        // Read on to the end of the body after [DONE] so the connection goes back to the pool.
        if (sawDone) continue;
        if (data.startsWith('[DONE]')) {
          sawDone = true;
          continue;
        }
        const chunk = JSON.parse(data) as Chunk & { error?: object };
        // An error event mid-stream (`data: {"error": {...}}`), as OpenRouter and vLLM send them.
        if (chunk.error) throw new APIError(undefined, chunk.error, undefined, undefined);
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        const delta = choice.delta;
        if (delta) {
          const content = delta.content || delta.refusal;
          if (content) {
            call.firstToken();
            yield { type: 'text-delta', delta: content };
          }
          const toolCalls = delta.tool_calls;
          if (toolCalls) {
            call.firstToken();
            for (let i = 0; i < toolCalls.length; i++) {
              const part = toToolCallPart(toolCalls[i] as ToolCallDelta, i, toolCallIds);
              if (part) yield part;
            }
          } else if (!content && hasReasoning(delta)) {
            call.firstToken();
          }
        }
        if (choice.finish_reason) {
          call.firstToken();
          finishReason = choice.finish_reason;
        }
      }
    } catch (error) {
      failure = { error };
    }
    // After [DONE] the answer is whole: a reset or a timer while draining the body does not undo it.
    if (!sawDone || finishReason === undefined) {
      const error = endError(failure, finishReason, call, ctx);
      if (error) {
        yield { type: 'error', error };
        return;
      }
    }
    completed = true;
    call.end();
    yield { type: 'finish', finishReason: toFinishReason(finishReason as string, toolCallIds.length > 0), usage: toUsage(usage) };
  } finally {
    // A consumer that stops early (or an error) must not leave the upstream connection open.
    if (!completed) call.cancel();
  }
}

/** Why a stream that did not reach [DONE] failed, or undefined when its finish reason makes it whole anyway. */
function endError(
  failure: { error: unknown } | undefined,
  finishReason: string | undefined,
  call: CallControl,
  ctx: ErrorContext,
): ProviderError | undefined {
  if (failure) return toProviderError(failure.error, call, ctx);
  // undici errors the body when we abort; a custom fetch (deps.fetch) may end it quietly instead.
  if (call.reason !== undefined) return cutError(call, ctx);
  if (finishReason === undefined) {
    return new ProviderError(`${ctx.provider}: stream ended before a finish reason`, { provider: ctx.provider, isRetryable: true });
  }
  return undefined;
}

function toToolCallPart(tc: ToolCallDelta, position: number, ids: string[]): StreamPart | undefined {
  // `index` is required by the spec, but a few servers omit it when there is one call per chunk.
  const index = tc.index ?? position;
  const args = tc.function?.arguments || undefined;
  if (ids[index] === undefined) {
    const id = tc.id || generateToolCallId();
    ids[index] = id;
    return { type: 'tool-call-delta', index, id, name: tc.function?.name ?? '', argumentsDelta: args };
  }
  return args === undefined ? undefined : { type: 'tool-call-delta', index, argumentsDelta: args };
}

export function toGenerateResult(completion: OpenAI.Chat.Completions.ChatCompletion, ctx: ErrorContext): GenerateResult {
  const choice = completion.choices?.[0];
  if (!choice) {
    throw new ProviderError(`${ctx.provider}: response has no choices`, { provider: ctx.provider, isRetryable: true });
  }
  const message = choice.message;
  const toolCalls: GenerateResult['toolCalls'] = [];
  for (const call of message.tool_calls ?? []) {
    // Custom (free-form) tools are not something we declare; some servers omit `type` on function calls.
    if (call.type === 'custom') continue;
    toolCalls.push({ id: call.id || generateToolCallId(), name: call.function.name, arguments: call.function.arguments ?? '' });
  }
  return {
    text: message.content ?? message.refusal ?? '',
    toolCalls,
    finishReason: toFinishReason(choice.finish_reason ?? 'stop', toolCalls.length > 0),
    usage: toUsage(completion.usage),
  };
}
