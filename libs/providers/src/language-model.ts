import type { ChatMessage, FinishReason, ResponseFormat, ToolChoice, ToolDefinition, Usage } from '@switchboard/contracts';

/**
 * The one interface every model backend implements (local llama-cpp, any OpenAI-compatible server).
 * Middleware (fallback, retry, cache) wraps a LanguageModel and is itself one, so callers never know
 * which backend answered.
 */
export interface LanguageModel {
  /** The provider's name from config (`local`, `openrouter`, ...). */
  readonly provider: string;
  /** The model id within the provider (`qwen2.5-0.5b`, `meta-llama/llama-3.1-8b-instruct`). */
  readonly modelId: string;
  doGenerate(options: CallOptions): Promise<GenerateResult>;
  /** Starts the call; resolves once the provider accepted it (HTTP headers / model ready), not at the first token. */
  doStream(options: CallOptions): Promise<StreamResult>;
}

export interface CallOptions {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Aborts the call; adapters free their resources (HTTP socket, context sequence) at once. */
  abortSignal?: AbortSignal;
}

export interface GenerateResult {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: FinishReason;
  usage: Usage;
}

export interface StreamResult {
  stream: AsyncIterable<StreamPart>;
}

/** Stream parts, named noun-verb. Exactly one `finish` or `error` ends every stream. */
export type StreamPart =
  | { type: 'text-delta'; delta: string }
  /** A fragment of a tool call; the first for an index carries id and name. */
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta?: string }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage }
  | { type: 'error'; error: ProviderError };

/** Why a provider call failed, and whether trying again (or another provider) can help. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    message: string,
    readonly details: {
      provider: string;
      /** HTTP status from upstream, when there was one. */
      status?: number;
      /** 408, 409, 429, 5xx, timeouts and connection failures retry; 400, 401, 403, 404 do not. */
      isRetryable: boolean;
      /** True when the call was aborted by our own signal (client gone, budget), not by a failure. */
      isAbort?: boolean;
      /** Upstream asked to wait this long before retrying (Retry-After). */
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
  }

  static isRetryableStatus(status: number): boolean {
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
}

export const emptyUsage = (): Usage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

/** The usage of two calls together. */
export const addUsage = (a: Usage, b: Usage): Usage => ({
  prompt_tokens: a.prompt_tokens + b.prompt_tokens,
  completion_tokens: a.completion_tokens + b.completion_tokens,
  total_tokens: a.total_tokens + b.total_tokens,
});
