import type OpenAI from 'openai';
import type { ChatMessage } from '@switchboard/contracts';
import type { CallOptions } from '../language-model.js';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParams;
type StreamingParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;
type NonStreamingParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type MessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ContentParts = Exclude<OpenAI.Chat.Completions.ChatCompletionUserMessageParam['content'], string>;

/** Usage is only known at the end of a stream when asked for; shared, never mutated. */
const includeUsage = Object.freeze({ include_usage: true });

/**
 * Copies only the fields the API defines: clients (Open WebUI and others) add their own keys to messages,
 * and strict upstreams reject unknown ones. Undefined fields vanish in JSON.stringify.
 */
function toMessageParam(message: ChatMessage): MessageParam {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: message.role, content: message.content as string, name: message.name };
    case 'user':
      return { role: 'user', content: message.content as string | ContentParts, name: message.name };
    case 'assistant':
      return {
        role: 'assistant',
        content: (message.content ?? null) as string | null,
        name: message.name,
        tool_calls: message.tool_calls?.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: call.function.name, arguments: call.function.arguments },
        })),
      };
    case 'tool':
      return { role: 'tool', content: message.content as string, tool_call_id: message.tool_call_id };
  }
}

export function toChatParams(modelId: string, options: CallOptions, stream: true): StreamingParams;
export function toChatParams(modelId: string, options: CallOptions, stream: false): NonStreamingParams;
export function toChatParams(modelId: string, options: CallOptions, stream: boolean): Params {
  const hasTools = options.tools !== undefined && options.tools.length > 0;
  return {
    model: modelId,
    messages: options.messages.map(toMessageParam),
    stream,
    stream_options: stream ? includeUsage : undefined,
    max_tokens: options.maxTokens,
    temperature: options.temperature,
    top_p: options.topP,
    stop: options.stop !== undefined && options.stop.length > 0 ? options.stop : undefined,
    seed: options.seed,
    presence_penalty: options.presencePenalty,
    frequency_penalty: options.frequencyPenalty,
    // Several servers reject an empty `tools` array, or a tool_choice without tools.
    tools: hasTools ? (options.tools as OpenAI.Chat.Completions.ChatCompletionTool[]) : undefined,
    tool_choice: hasTools ? (options.toolChoice as OpenAI.Chat.Completions.ChatCompletionToolChoiceOption | undefined) : undefined,
    response_format: options.responseFormat as Params['response_format'],
  };
}
