import type { ChatMessage, FinishReason, PipelineModelAnswer, Usage } from '@switchboard/contracts';
import { emptyUsage, type CallOptions, type LanguageModel } from '@switchboard/providers';

/** One call a stage makes: the messages and the sampling settings of the stage (or of its synthesis). */
export interface StageCall {
  /** The model id as configured; recorded on the answer. */
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
}

function callOptions(call: StageCall, signal: AbortSignal): CallOptions {
  return {
    messages: call.messages,
    abortSignal: signal,
    ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
    ...(call.maxTokens === undefined ? {} : { maxTokens: call.maxTokens }),
  };
}

const servedBy = (model: LanguageModel): string => `${model.provider}/${model.modelId}`;

/** A whole answer at once: stages whose text nobody watches arrive faster without a stream to decode. */
export async function generateAnswer(model: LanguageModel, call: StageCall, signal: AbortSignal): Promise<PipelineModelAnswer> {
  const result = await model.doGenerate(callOptions(call, signal));
  return { model: call.model, servedBy: servedBy(model), text: result.text, usage: result.usage, finishReason: result.finishReason };
}

/** The answer streamed, each text delta handed to `onDelta` as it arrives (the last stage's, for the client). */
export async function streamAnswer(
  model: LanguageModel,
  call: StageCall,
  signal: AbortSignal,
  onDelta: (delta: string) => void,
): Promise<PipelineModelAnswer> {
  const { stream } = await model.doStream(callOptions(call, signal));
  let text = '';
  let usage: Usage = emptyUsage();
  let finishReason: FinishReason = 'stop';
  for await (const part of stream) {
    switch (part.type) {
      case 'text-delta':
        text += part.delta;
        onDelta(part.delta);
        break;
      case 'finish':
        usage = part.usage;
        finishReason = part.finishReason;
        break;
      case 'error':
        throw part.error;
      case 'tool-call-delta':
        // Stages offer no tools; a model that calls one anyway has its call dropped, its text kept.
        break;
    }
  }
  return { model: call.model, servedBy: servedBy(model), text, usage, finishReason };
}
