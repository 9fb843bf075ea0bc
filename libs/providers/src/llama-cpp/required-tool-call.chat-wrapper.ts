import {
  ChatWrapper,
  LlamaText,
  type ChatHistoryItem,
  type ChatModelFunctionCall,
  type ChatModelFunctions,
  type ChatModelResponse,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  type ChatWrapperGenerateInitialHistoryOptions,
  type ChatWrapperSettings,
} from 'node-llama-cpp';

/**
 * `tool_choice: "required"` (or a named function) for node-llama-cpp: wraps the model's own chat wrapper
 * and, after the prompt, puts the model straight into function-calling mode, so the call's name and
 * arguments are generated under node-llama-cpp's function grammars instead of left to the model's whim.
 * Everything else (prompt format, call syntax, stop triggers) is the wrapped wrapper's.
 */
export class RequiredToolCallChatWrapper extends ChatWrapper {
  readonly wrapperName: string;
  override readonly settings: ChatWrapperSettings;

  constructor(private readonly inner: ChatWrapper) {
    super();
    this.wrapperName = inner.wrapperName;
    this.settings = inner.settings;
  }

  override generateContextState(options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const state = this.inner.generateContextState(options);
    const call = this.settings.functions.call;
    if (state.functionCall !== undefined) {
      // Wrappers whose models open a turn in function mode (Functionary): just never let it disengage.
      return { ...state, functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] } };
    }
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      ...(state.rerender ? { rerender: state.rerender } : {}),
      noPrefixTrigger: { type: 'functionCall', inject: LlamaText(call.prefix) },
    };
  }

  override generateFunctionCallsAndResults(functionCalls: ChatModelFunctionCall[], useRawCall?: boolean): LlamaText {
    return this.inner.generateFunctionCallsAndResults(functionCalls, useRawCall);
  }

  override generateFunctionCall(name: string, params: unknown): LlamaText {
    return this.inner.generateFunctionCall(name, params);
  }

  override generateFunctionCallResult(functionName: string, functionParams: unknown, result: unknown): LlamaText {
    return this.inner.generateFunctionCallResult(functionName, functionParams, result);
  }

  override generateModelResponseText(modelResponse: ChatModelResponse['response'], useRawValues?: boolean): LlamaText {
    return this.inner.generateModelResponseText(modelResponse, useRawValues);
  }

  override generateAvailableFunctionsSystemText(availableFunctions: ChatModelFunctions, options: { documentParams?: boolean }): LlamaText {
    return this.inner.generateAvailableFunctionsSystemText(availableFunctions, options);
  }

  override addAvailableFunctionsSystemMessageToHistory(
    history: readonly ChatHistoryItem[],
    availableFunctions?: ChatModelFunctions,
    options?: { documentParams?: boolean },
  ): readonly ChatHistoryItem[] {
    return this.inner.addAvailableFunctionsSystemMessageToHistory(history, availableFunctions, options);
  }

  override generateInitialChatHistory(options?: ChatWrapperGenerateInitialHistoryOptions): ChatHistoryItem[] {
    return this.inner.generateInitialChatHistory(options);
  }
}
