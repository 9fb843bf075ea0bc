import type { LlamaChatResponse } from 'node-llama-cpp';
import type { FinishReason } from '@switchboard/contracts';
import { ProviderError, type GenerateResult, type StreamPart } from '../language-model.js';
import { llamaErrors, messageOf } from './llama-errors.js';

/** Reads a stream to its end into one result; an error part is thrown. */
export async function collectResult(stream: AsyncIterable<StreamPart>, provider: string): Promise<GenerateResult> {
  let text = '';
  const toolCalls: GenerateResult['toolCalls'] = [];
  for await (const part of stream) {
    switch (part.type) {
      case 'text-delta':
        text += part.delta;
        break;
      case 'tool-call-delta': {
        const call = (toolCalls[part.index] ??= { id: part.id ?? '', name: part.name ?? '', arguments: '' });
        if (part.id) call.id = part.id;
        if (part.name) call.name = part.name;
        call.arguments += part.argumentsDelta ?? '';
        break;
      }
      case 'finish':
        return { text, toolCalls, finishReason: part.finishReason, usage: part.usage };
      case 'error':
        throw part.error;
    }
  }
  throw llamaErrors.generationFailed(provider, new Error('the stream ended without a finish part'));
}

export function toFinishReason(stopReason: LlamaChatResponse['metadata']['stopReason'], calledTools: boolean): FinishReason {
  // As OpenAI does: max_tokens wins, so a client can tell that the last tool call's arguments may be cut.
  if (stopReason === 'maxTokens') return 'length';
  if (calledTools) return 'tool_calls';
  switch (stopReason) {
    case 'functionCalls':
      return 'tool_calls';
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
    case 'abort':
      return 'stop';
  }
}

export function toProviderError(error: unknown, provider: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = messageOf(error);
  // node-llama-cpp's words for a prompt that cannot fit the context even after dropping old turns.
  if (/fit the context size|context size is too small|too long/i.test(message)) {
    return llamaErrors.badRequest(provider, `the conversation does not fit in n_ctx: ${message}`, error);
  }
  return llamaErrors.generationFailed(provider, error);
}
