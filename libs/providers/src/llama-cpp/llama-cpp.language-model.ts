import { randomInt } from 'node:crypto';
import {
  LlamaChat,
  type ChatModelFunctions,
  type LlamaChatResponse,
  type LlamaContextSequence,
  type LlamaGrammar,
  type TokenBias,
} from 'node-llama-cpp';
import type { FinishReason, LlamaCppProviderConfig, ResponseFormat } from '@switchboard/contracts';
import {
  type CallOptions,
  type GenerateResult,
  type LanguageModel,
  type StreamPart,
  type StreamResult,
} from '../language-model.js';
import { toChatFunctions, toChatHistory, toolCallRequired } from './chat-history.mapper.js';
import { endOfTurnSuppressingBias } from './end-of-turn.bias.js';
import { LlamaCall } from './llama-call.js';
import { llamaErrors, messageOf } from './llama-errors.js';
import type { LlamaCppLogger } from './llama-runtime.js';
import type { LlamaModelConfig, LlamaModelPool, LoadedModel } from './model-pool.js';
import { PartChannel } from './part-channel.js';
import { RequiredToolCallChatWrapper } from './required-tool-call.chat-wrapper.js';
import { collectResult, toFinishReason, toProviderError } from './llama-result.mapper.js';
import { ToolCallDeltas } from './tool-call.deltas.js';

/** Per-model behaviour beyond config, chosen by whoever builds the model (tests, benchmarks). */
export interface LlamaCppModelOptions {
  /**
   * Never end a turn: end-of-generation tokens are made impossible, so every generation runs to max_tokens
   * (or a stop sequence). For fixed-length tests and benchmarks only; a chat would never stop.
   */
  ignoreEos?: boolean;
  /** Most tool calls one assistant turn may make; guards against a small model calling tools in a loop. */
  maxParallelToolCalls?: number;
}

/** What became of one call, reported after its sequence was freed (metrics, tests of release). */
export interface LlamaCallSettled {
  provider: string;
  model: string;
  outcome: 'finished' | 'aborted' | 'timed-out' | 'failed';
  finishReason?: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** From the call to a free sequence: model load (first call) and queueing. */
  waitMs: number;
  /** From a free sequence to the end: prompt evaluation and generation. */
  generateMs: number;
}

export type LlamaCallSettledListener = (event: LlamaCallSettled) => void;

/** llama.cpp server's sampling defaults, used where the request leaves a knob unset. */
const samplingDefaults = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 };
const defaultMaxParallelToolCalls = 8;
const grammarCacheSize = 32;

/** Per loaded model, shared by every LanguageModel object built for it (callers may build one per request). */
const grammarCaches = new WeakMap<LoadedModel, Map<string, Promise<LlamaGrammar>>>();
const endOfTurnBiases = new WeakMap<LoadedModel, TokenBias>();

/** Request-derived settings, built before a sequence is taken so a bad request fails without waiting. */
interface PreparedCall {
  history: ReturnType<typeof toChatHistory>;
  functions: ChatModelFunctions | undefined;
  forceToolCall: boolean;
  grammar: LlamaGrammar | undefined;
  promptTokens: number;
}

/** A model served by node-llama-cpp in this process. */
export class LlamaCppLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;

  constructor(
    private readonly providerConfig: LlamaCppProviderConfig,
    private readonly modelConfig: LlamaModelConfig,
    private readonly pool: LlamaModelPool,
    private readonly logger: LlamaCppLogger,
    private readonly options: LlamaCppModelOptions = {},
    private readonly onCallSettled?: LlamaCallSettledListener,
  ) {
    this.provider = providerConfig.name;
    this.modelId = modelConfig.name;
  }

  doStream(options: CallOptions): Promise<StreamResult> {
    return this.start(options, this.providerConfig.first_token_timeout_ms);
  }

  /** Non-streaming: only timeout_ms applies, as there is no first token anyone waits for. */
  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    const { stream } = await this.start(options, undefined);
    return collectResult(stream, this.provider);
  }

  private async start(options: CallOptions, firstTokenTimeoutMs: number | undefined): Promise<StreamResult> {
    // Streams also get the idle limit; a non-streaming call (no first-token limit) has no one watching tokens.
    const idleTimeoutMs = firstTokenTimeoutMs === undefined ? undefined : this.providerConfig.idle_timeout_ms;
    const call = new LlamaCall(this.provider, options.abortSignal, firstTokenTimeoutMs, this.providerConfig.timeout_ms, idleTimeoutMs);
    const started = performance.now();
    try {
      const loaded = await call.race(this.pool.get(this.modelConfig));
      const prepared = await call.race(this.prepare(loaded, options));
      const lease = await loaded.sequences.acquire(call.signal).catch((error: unknown) => {
        throw call.error() ?? error;
      });
      const waitMs = performance.now() - started;
      const channel = new PartChannel<StreamPart>(() => call.cancel());
      void this.generate(loaded, lease.item, prepared, options, call, channel).then((summary) => {
        lease.release();
        call.end();
        channel.close();
        try {
          this.onCallSettled?.({ provider: this.provider, model: this.modelId, ...summary, waitMs, promptTokens: prepared.promptTokens });
        } catch (error) {
          this.logger.warn({ provider: this.provider, err: messageOf(error) }, 'onCallSettled listener threw');
        }
      });
      return { stream: channel };
    } catch (error) {
      call.end();
      throw toProviderError(error, this.provider);
    }
  }

  private async prepare(loaded: LoadedModel, options: CallOptions): Promise<PreparedCall> {
    const history = toChatHistory(options.messages);
    const functions = toChatFunctions(options.tools, options.toolChoice);
    const hasFunctions = functions !== undefined && Object.keys(functions).length > 0;
    if (typeof options.toolChoice === 'object' && !hasFunctions) {
      throw llamaErrors.badRequest(this.provider, `tool_choice names "${options.toolChoice.function.name}", which is not among the tools`);
    }
    // node-llama-cpp cannot apply a grammar and offer functions at once: offered tools win over response_format.
    const grammar = hasFunctions ? undefined : await this.grammarFor(loaded, options.responseFormat);
    const contextText = loaded.chatWrapper.generateContextState({ chatHistory: history, ...(hasFunctions ? { availableFunctions: functions } : {}) }).contextText;
    return {
      history,
      functions: hasFunctions ? functions : undefined,
      forceToolCall: hasFunctions && toolCallRequired(options.toolChoice),
      grammar,
      promptTokens: contextText.tokenize(loaded.model.tokenizer).length,
    };
  }

  private async grammarFor(loaded: LoadedModel, format: ResponseFormat | undefined): Promise<LlamaGrammar | undefined> {
    if (!format || format.type === 'text') return undefined;
    const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
    const key = schema ? JSON.stringify(schema) : 'json_object';
    let grammars = grammarCaches.get(loaded);
    if (!grammars) grammarCaches.set(loaded, (grammars = new Map()));
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar = schema
        ? loaded.llama.createGrammarForJsonSchema(schema as Parameters<typeof loaded.llama.createGrammarForJsonSchema>[0])
        : loaded.llama.getGrammarFor('json');
      // Schemas repeat (an agent's output format); a bounded cache keeps a client sending random ones in check.
      if (grammars.size >= grammarCacheSize) grammars.delete(grammars.keys().next().value ?? '');
      grammars.set(key, grammar);
      const cache = grammars;
      grammar.catch(() => cache.delete(key));
    }
    return grammar.catch((error: unknown) => {
      throw llamaErrors.badRequest(this.provider, `response_format: unsupported JSON schema: ${messageOf(error)}`, error);
    });
  }

  private async generate(
    loaded: LoadedModel,
    sequence: LlamaContextSequence,
    prepared: PreparedCall,
    options: CallOptions,
    call: LlamaCall,
    channel: PartChannel<StreamPart>,
  ): Promise<Pick<LlamaCallSettled, 'outcome' | 'finishReason' | 'completionTokens' | 'generateMs'>> {
    let chat: LlamaChat | undefined;
    const meterBefore = sequence.tokenMeter.getState();
    const toolCalls = new ToolCallDeltas();
    const emit = (part: StreamPart): void => {
      if (part.type === 'text-delta' || part.type === 'tool-call-delta') call.firstToken();
      channel.push(part);
    };
    const started = performance.now();
    const summary = (outcome: LlamaCallSettled['outcome'], finishReason?: FinishReason) => ({
      outcome,
      ...(finishReason ? { finishReason } : {}),
      completionTokens: sequence.tokenMeter.diff(meterBefore).usedOutputTokens,
      generateMs: performance.now() - started,
    });
    try {
      const chatWrapper = prepared.forceToolCall ? new RequiredToolCallChatWrapper(loaded.chatWrapper) : loaded.chatWrapper;
      chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
      const sampling = {
        signal: call.signal,
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
        temperature: options.temperature ?? samplingDefaults.temperature,
        topP: options.topP ?? samplingDefaults.topP,
        topK: samplingDefaults.topK,
        minP: options.temperature === 0 ? 0 : samplingDefaults.minP,
        // node-llama-cpp's own default seed is the current second: calls in the same second would repeat.
        seed: options.seed ?? randomInt(2 ** 31),
        ...(options.presencePenalty !== undefined || options.frequencyPenalty !== undefined
          ? { repeatPenalty: { presencePenalty: options.presencePenalty, frequencyPenalty: options.frequencyPenalty } }
          : {}),
        ...(options.stop?.length ? { customStopTriggers: options.stop } : {}),
        ...(this.options.ignoreEos ? { tokenBias: endOfTurnBias(loaded) } : {}),
        onTextChunk: (text: string) => {
          if (text !== '') emit({ type: 'text-delta', delta: text });
        },
      };
      let response: LlamaChatResponse<ChatModelFunctions | undefined>;
      if (prepared.functions) {
        response = await chat.generateResponse(prepared.history, {
          ...sampling,
          functions: prepared.functions,
          maxParallelFunctionCalls: this.options.maxParallelToolCalls ?? defaultMaxParallelToolCalls,
          onFunctionCallParamsChunk: (chunk) => {
            for (const part of toolCalls.paramsChunk(chunk.callIndex, chunk.functionName, chunk.paramsChunk, chunk.done)) emit(part);
          },
          onFunctionCall: (fc) => {
            for (const part of toolCalls.completed(fc.functionName, fc.params)) emit(part);
          },
        });
      } else {
        response = await chat.generateResponse(prepared.history, { ...sampling, ...(prepared.grammar ? { grammar: prepared.grammar } : {}) });
      }

      const completionTokens = sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
      const finishReason = toFinishReason(response.metadata.stopReason, toolCalls.count > 0);
      channel.push({
        type: 'finish',
        finishReason,
        usage: { prompt_tokens: prepared.promptTokens, completion_tokens: completionTokens, total_tokens: prepared.promptTokens + completionTokens },
      });
      return summary('finished', finishReason);
    } catch (error) {
      const cut = call.error();
      if (!cut) this.logger.warn({ provider: this.provider, model: this.modelId, err: messageOf(error) }, 'llama-cpp generation failed');
      channel.push({ type: 'error', error: cut ?? toProviderError(error, this.provider) });
      return summary(cut === undefined ? 'failed' : cut.details.isAbort ? 'aborted' : 'timed-out');
    } finally {
      chat?.dispose({ disposeSequence: false });
    }
  }
}

function endOfTurnBias(loaded: LoadedModel): TokenBias {
  let bias = endOfTurnBiases.get(loaded);
  if (!bias) endOfTurnBiases.set(loaded, (bias = endOfTurnSuppressingBias(loaded.model)));
  return bias;
}
