import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { OpenAICompatibleProviderConfig } from '@switchboard/contracts';
import { ProviderError, type CallOptions, type GenerateResult, type LanguageModel, type StreamResult } from '../language-model.js';
import { createNodeHttpFetch } from '../http/node-http-fetch.js';
import { headersOf, postForStream, readText, streamEndpoint, type StreamEndpoint } from '../http/stream-post.js';
import { CallControl } from '../call-control.js';
import { toProviderError, type ErrorContext } from './error-mapping.js';
import { resolveEndpoint, type ResolvedEndpoint } from './presets.js';
import { toChatParams } from './request-body.js';
import { toGenerateResult, toStreamParts } from './response-mapping.js';

export interface OpenAICompatibleDeps {
  /**
   * The fetch the SDK sends with. Default: the lean node:http fetch (half the CPU of global fetch per streamed
   * call). Pass `globalThis.fetch`, a proxy-aware or a tuned one to replace it. Disables client sharing.
   */
  fetch?: typeof globalThis.fetch;
}

/** One lean fetch (and so one keep-alive pool per host) for every provider of this process. */
let defaultFetch: typeof globalThis.fetch | undefined;

interface ProviderClient {
  client: OpenAI;
  endpoint: ResolvedEndpoint;
  /** Streamed calls go here directly (see doStream); null when a custom fetch was given, which the SDK uses. */
  stream: StreamEndpoint | null;
}

/** One SDK client per provider config object: models of one provider share its connection pool. */
const clients = new WeakMap<OpenAICompatibleProviderConfig, ProviderClient>();

function createClient(config: OpenAICompatibleProviderConfig, deps: OpenAICompatibleDeps): ProviderClient {
  const endpoint = resolveEndpoint(config);
  const client = new OpenAI({
    baseURL: endpoint.baseURL,
    apiKey: endpoint.apiKey,
    // Explicit nulls: the SDK would otherwise read OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment
    // and send them to whatever server this provider points at.
    organization: null,
    project: null,
    defaultHeaders: config.headers,
    // The router owns retries (with backoff, fallback and a circuit breaker); SDK retries would multiply them.
    maxRetries: 0,
    // Our own per-call timer enforces timeout_ms and says so in the error; this is only a backstop.
    timeout: config.timeout_ms + 1000,
    // The SDK's debug log prints request bodies (whole prompts); we log ourselves, structured.
    logLevel: 'off',
    fetch: deps.fetch ?? (defaultFetch ??= createNodeHttpFetch()),
  });
  const stream: StreamEndpoint | null = deps.fetch
    ? null
    : streamEndpoint(new URL(`${endpoint.baseURL}/chat/completions`), {
        ...config.headers,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${endpoint.apiKey}`,
        'user-agent': 'switchboard',
      });
  return { client, endpoint, stream };
}

function providerClient(config: OpenAICompatibleProviderConfig, deps: OpenAICompatibleDeps): ProviderClient {
  if (deps.fetch) return createClient(config, deps);
  let shared = clients.get(config);
  if (!shared) clients.set(config, (shared = createClient(config, deps)));
  return shared;
}

/**
 * A model behind any OpenAI-compatible Chat Completions server (OpenAI, OpenRouter, Hugging Face, Ollama,
 * Docker Model Runner, vLLM, llama.cpp's server), through the official SDK.
 */
export class OpenAICompatibleLanguageModel implements LanguageModel {
  readonly provider: string;
  private readonly errorContext: ErrorContext;

  constructor(
    private readonly config: OpenAICompatibleProviderConfig,
    readonly modelId: string,
    private readonly shared: ProviderClient,
  ) {
    this.provider = config.name;
    this.errorContext = { provider: config.name, apiKey: config.api_key };
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    const call = this.startCall(options, this.config.first_token_timeout_ms, this.config.idle_timeout_ms);
    if (this.shared.stream) return this.streamDirect(this.shared.stream, options, call);
    try {
      // The SDK sends the request and maps HTTP errors; the body is parsed by our decoder, which costs a
      // fraction of the SDK's per-chunk work on this hot path.
      const response = await this.shared.client.chat.completions
        .create(toChatParams(this.modelId, options, true), { signal: call.signal })
        .asResponse();
      if (!response.body) throw new Error('the response has no body');
      return { stream: toStreamParts(response.body, call, this.errorContext) };
    } catch (error) {
      call.end();
      throw toProviderError(error, call, this.errorContext);
    }
  }

  /**
   * A streamed call without the SDK's request machinery, which cost ~0.9 ms of CPU per call here (headers,
   * options, fetch objects; npm run bench), more than the rest of the gateway's work on a run. Same request
   * body (toChatParams), and an error answer becomes the very error the SDK would throw (APIError.generate), so
   * the error mapping, retryability and Retry-After are those of the SDK path.
   */
  private async streamDirect(endpoint: StreamEndpoint, options: CallOptions, call: CallControl): Promise<StreamResult> {
    try {
      const res = await postForStream(endpoint, JSON.stringify(toChatParams(this.modelId, options, true)), call.signal);
      const status = res.statusCode ?? 500;
      if (status < 200 || status > 299) {
        const text = await readText(res);
        const json = safeJson(text);
        throw APIError.generate(status, json, json === undefined ? text : undefined, headersOf(res));
      }
      return { stream: toStreamParts(res, call, this.errorContext) };
    } catch (error) {
      call.end();
      throw toProviderError(error instanceof APIError ? error : new APIConnectionError({ cause: error as Error }), call, this.errorContext);
    }
  }

  /** Non-streaming: only timeout_ms applies, as there is no first token to wait for. */
  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    const call = this.startCall(options, undefined);
    try {
      const completion = await this.shared.client.chat.completions.create(toChatParams(this.modelId, options, false), { signal: call.signal });
      return toGenerateResult(completion, this.errorContext);
    } catch (error) {
      throw toProviderError(error, call, this.errorContext);
    } finally {
      call.end();
    }
  }

  private startCall(options: CallOptions, firstTokenTimeoutMs: number | undefined, idleTimeoutMs?: number): CallControl {
    const { missingKey } = this.shared.endpoint;
    if (missingKey) throw new ProviderError(missingKey, { provider: this.provider, isRetryable: false });
    const call = new CallControl(options.abortSignal, firstTokenTimeoutMs, this.config.timeout_ms, idleTimeoutMs);
    if (call.reason !== undefined) throw toProviderError(undefined, call, this.errorContext);
    return call;
  }
}

/**
 * Builds the model `modelId` of an openai-compatible provider. The SDK client is created once per provider
 * config object and shared by all its models, so call this freely; a config without preset or base_url throws.
 */
export function createOpenAICompatibleModel(
  providerConfig: OpenAICompatibleProviderConfig,
  modelId: string,
  deps: OpenAICompatibleDeps = {},
): LanguageModel {
  return new OpenAICompatibleLanguageModel(providerConfig, modelId, providerClient(providerConfig, deps));
}

function safeJson(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
