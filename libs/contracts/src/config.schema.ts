import { z } from 'zod';
import { modelsConfigSchema } from './models-config.schema.js';
import { pipelineConfigSchema } from './pipeline.schema.js';
import { rateSpecSchema } from './rate-spec.js';

/**
 * The shape of config/switchboard.yaml (snake_case, as users of self-hosted LLM gateways know it).
 * Every object is strict so a typo is an error that names its key, not a setting silently ignored.
 * Defaults here are the "runs as it is" defaults: an empty file is a valid config.
 */

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
/** An optional secret: `${VAR}` interpolation of an unset variable yields "", which means "not set". */
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const serverConfigSchema = z.strictObject({
  /** Address every app binds to. 0.0.0.0 in containers; 127.0.0.1 keeps a laptop install private. */
  host: z.string().default('127.0.0.1'),
  /** The OpenAI-compatible door (/v1). */
  gateway_port: port.default(8080),
  /** REST API, socket.io and the web app. */
  api_port: port.default(8000),
  /** Worker health and metrics. */
  worker_port: port.default(8090),
  /** SSE `: ping` interval while a stream is otherwise silent; keeps proxies and clients from timing out. */
  heartbeat_ms: positiveInt.default(5000),
  /**
   * After the first token, text deltas that arrive within this many ms leave as one event (one Redis write,
   * one SSE chunk). Per-token socket writes are what the platform adds per token; 0 sends every token alone.
   */
  stream_coalesce_ms: z.number().int().min(0).default(15),
  /**
   * Plain calls to a remote provider (`provider/model`, or `auto` resolving to one; no agent, no pipeline, no
   * local model) are run by the gateway that accepted them, up to this many at once per gateway; the rest go
   * through the queue to a worker. Such a run is as durable as a queued one: its request and events are in
   * Redis before the client sees anything, a worker takes it over if the gateway dies, and a worker records it.
   * 0 sends every run through the queue.
   */
  inline_runs: z.number().int().min(0).default(256),
  /** Largest request body accepted by the gateway and the API; larger ones get 413. */
  body_limit_mb: z.number().positive().default(10),
  /** How long a draining gateway or api waits for open streams on SIGTERM. */
  shutdown_grace_ms: positiveInt.default(10000),
  /**
   * How long a gateway's open streams wait for a Redis that went away (or, once it is back, for a run whose
   * job it lost) before they end with a `redis_unavailable` (`run_lost`) error and `[DONE]`, so no client hangs.
   */
  redis_outage_grace_ms: positiveInt.default(10000),
});

export const circuitBreakerConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Failures within window_ms that open a provider's circuit. */
  failure_threshold: positiveInt.default(3),
  window_ms: positiveInt.default(60000),
  /** How long an open circuit is skipped before one probe request may test it (half-open). */
  cooldown_ms: positiveInt.default(30000),
});

export const llamaModelParamsSchema = z.strictObject({
  n_ctx: positiveInt.default(4096),
  /** CPU threads; node-llama-cpp's own default is far too many on small VMs (1 was fastest on 2 cores). */
  threads: positiveInt.default(1),
  gpu_layers: z.union([z.number().int().min(0), z.literal('auto'), z.literal('max')]).default(0),
  batch: positiveInt.optional(),
  /** Concurrent runs served on context sequences of one loaded model; more wait their turn. */
  parallel: positiveInt.default(1),
});

export const llamaModelSchema = z.strictObject({
  name: z.string().min(1),
  file: z.string().min(1),
  params: llamaModelParamsSchema.default(llamaModelParamsSchema.parse({})),
});

export const providerPresets = ['openai', 'openrouter', 'huggingface', 'ollama', 'dmr', 'vllm'] as const;
export type ProviderPreset = (typeof providerPresets)[number];

const providerCommon = {
  /** Model ids are `<name>/<model>`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_" (it prefixes model ids)'),
  enabled: z.boolean().default(true),
  /** Total time one call may take. */
  timeout_ms: positiveInt.default(120000),
  /** Time to the first streamed token; a provider that stays silent longer is cut and the router moves on. */
  first_token_timeout_ms: positiveInt.default(30000),
  /**
   * Longest silence allowed between two streamed parts once the answer has started. A stream that stalls
   * longer is cut, and the router continues the answer on the next target (or ends it with an error).
   */
  idle_timeout_ms: positiveInt.default(30000),
  /** Overrides of the top-level `circuit_breaker` for this provider. */
  circuit_breaker: z
    .strictObject({
      enabled: z.boolean().optional(),
      failure_threshold: positiveInt.optional(),
      window_ms: positiveInt.optional(),
      cooldown_ms: positiveInt.optional(),
    })
    .optional(),
  /**
   * Limits on what all gateways and workers together send this provider (shared in Redis). A provider over
   * its limit is skipped by `auto` and fallbacks; a request for it alone gets 429.
   */
  rate_limit: z
    .strictObject({ requests_per_minute: rateSpecSchema.optional(), tokens_per_minute: rateSpecSchema.optional() })
    .optional(),
  /**
   * Prices per million tokens by model name (`*` for every other model), in whatever currency budgets use.
   * Unpriced models cost 0: cost budgets then never trigger, token budgets still do.
   */
  pricing: z
    .record(z.string().min(1), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }))
    .default({}),
};

export const llamaCppProviderSchema = z.strictObject({
  ...providerCommon,
  type: z.literal('llama-cpp'),
  models: z.array(llamaModelSchema).default([]),
});

export const openAICompatibleProviderSchema = z.strictObject({
  ...providerCommon,
  type: z.literal('openai-compatible'),
  preset: z.enum(providerPresets).optional(),
  /** Overrides the preset's base URL (for example a self-hosted vLLM or a test upstream). */
  base_url: z.url().optional(),
  api_key: optionalSecret,
  /** Extra headers sent upstream (OpenRouter's HTTP-Referer / X-Title, for instance). */
  headers: z.record(z.string(), z.string()).default({}),
  models: z.array(z.string().min(1)).default([]),
  /**
   * How an answer cut off mid-stream is continued on this provider (as a fallback target): `prefill` sends the
   * partial answer as a trailing assistant message to be continued exactly (llama.cpp, vLLM, Ollama, Docker Model
   * Runner, OpenRouter); `instruct` also asks in words to continue without repeating, and trims any overlap
   * (OpenAI, Hugging Face). Default: by preset (see docs/CONFIGURATION.md).
   */
  continuation: z.enum(['prefill', 'instruct']).optional(),
  /**
   * Probe `GET <base_url>/models` in the background so a stopped server is skipped before a request pays for
   * finding out. Default: on for the presets of local servers (ollama, dmr, vllm); set it for a llama.cpp server.
   */
  health_check: z.boolean().optional(),
});

export const providerConfigSchema = z.discriminatedUnion('type', [llamaCppProviderSchema, openAICompatibleProviderSchema]);

export const autoPickConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Provider names in the order `auto` tries them. Empty: the providers in config order. */
  priority: z.array(z.string()).default([]),
  /**
   * How long the router keeps looking for a target that starts answering (attempts, retries and their backoff
   * together). Once an answer streams, only the providers' own timeouts apply.
   */
  timeout_ms: positiveInt.default(30000),
  /** Retries of the same target on a retryable failure (408, 409, 429, 5xx, connection errors) before moving on. */
  max_retries: z.number().int().min(0).default(2),
  /** First retry's backoff; doubled each retry, with jitter. Retry-After wins when it is longer. */
  backoff_ms: positiveInt.default(250),
});

export const cacheConfigSchema = z.strictObject({
  /**
   * Off by default: an exact-match cache answers a repeated question with the same text, which is what a batch
   * job wants and not what someone pressing "regenerate" wants.
   */
  enabled: z.boolean().default(false),
  /** Entries kept at most; the oldest are evicted first. */
  max_size: positiveInt.default(1000),
  ttl_seconds: positiveInt.default(3600),
});

export const rateLimitConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Per API key: a number per minute, or windows such as "100/hour" or "200/day;50/hour". */
  requests_per_minute: rateSpecSchema.prefault(60),
  /** Per API key, prompt and completion tokens together; unset: no token limit. */
  tokens_per_minute: rateSpecSchema.optional(),
});

export const budgetLimitsSchema = z.strictObject({
  max_iterations: positiveInt,
  max_seconds: z.number().positive(),
});

export const agentToolNames = ['current_time', 'calculator', 'http_fetch', 'web_search', 'call_agent'] as const;

export const agentConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "-" or "_"'),
  description: z.string().default(''),
  /** `auto`, `<provider>/<model>`, or another route name. */
  model: z.string().min(1).default('auto'),
  /** Models (`<provider>/<model>` or `auto`) tried in order after `model` fails. */
  fallbacks: z.array(z.string().min(1)).default([]),
  system_prompt: z.string().default(''),
  tools: z.array(z.enum(agentToolNames)).default([]),
  budgets: z
    .strictObject({
      sync: budgetLimitsSchema.default({ max_iterations: 5, max_seconds: 45 }),
      background: budgetLimitsSchema.default({ max_iterations: 10, max_seconds: 600 }),
      max_tokens: positiveInt.optional(),
      max_cost: z.number().nonnegative().optional(),
    })
    .default({ sync: { max_iterations: 5, max_seconds: 45 }, background: { max_iterations: 10, max_seconds: 600 } }),
  on_budget_exceeded: z.enum(['background', 'stop']).default('background'),
});

export const toolsConfigSchema = z.strictObject({
  /** Longest one tool call may take; a slower one is cut and the model is told it timed out. */
  timeout_ms: positiveInt.default(15000),
  http_fetch: z
    .strictObject({
      /** Private, loopback, link-local and other internal addresses are refused unless this is true (SSRF guard). */
      allow_private: z.boolean().default(false),
      /** Host names that may resolve to internal addresses anyway (an intranet wiki, a local SearXNG). */
      allowed_hosts: z.array(z.string().min(1)).default([]),
      /** Bytes of a response body read at most; the rest is cut off and the model told so. */
      max_bytes: positiveInt.default(200_000),
      max_redirects: z.number().int().min(0).default(5),
    })
    .default({ allow_private: false, allowed_hosts: [], max_bytes: 200_000, max_redirects: 5 }),
  web_search: z
    .strictObject({
      /** Base URL of a SearXNG-compatible search (`<url>/search?q=...&format=json`). Unset: the tool says so. */
      url: z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v)),
      max_results: positiveInt.default(5),
    })
    .default({ url: undefined, max_results: 5 }),
});

export const queueConfigSchema = z.strictObject({
  /** Jobs one worker process runs at once. */
  concurrency: positiveInt.default(8),
  /** BullMQ lock; a worker that misses renewing it this long loses the job to another worker. */
  lock_ms: positiveInt.default(30000),
  stalled_interval_ms: positiveInt.default(30000),
  heartbeat_ms: positiveInt.default(5000),
  /** A run whose heartbeat is older than this is stale: the watchdog recovers or fails it. */
  stale_after_ms: positiveInt.default(120000),
  attempts: positiveInt.default(3),
  /** How long a finished run's event stream stays readable for resume (seconds). */
  events_ttl_seconds: positiveInt.default(3600),
});

export const authConfigSchema = z.strictObject({
  /** Bearer token for admin routes (env SWITCHBOARD_ADMIN_KEY). Unset: admin routes answer 401. */
  admin_key: optionalSecret,
  /** One shared client key for simple set-ups (env SWITCHBOARD_API_KEY). Unset and no keys in the
   *  database: /v1 is open, which suits a single-user laptop install and is logged loudly at start. */
  api_key: optionalSecret,
  /** How long a looked-up key, and whether the install is open, is trusted before the database is asked again:
   *  a key revoked in another process stops working (and its sockets close) within this time. */
  cache_ttl_ms: z.number().int().min(100).max(600_000).default(10_000),
});

export const switchboardConfigSchema = z.strictObject({
  server: serverConfigSchema.default(serverConfigSchema.parse({})),
  /** Unset: embedded PGlite under data_dir. postgresql://, mysql:// or mariadb:// otherwise. */
  database: z.strictObject({ url: optionalSecret }).default({ url: undefined }),
  redis: z.strictObject({ url: z.string().default('redis://127.0.0.1:6379'), prefix: z.string().default('sb') }).default({
    url: 'redis://127.0.0.1:6379',
    prefix: 'sb',
  }),
  /** Where embedded state lives (PGlite files). loadConfig resolves a relative path from the project root (the
   *  folder holding config/switchboard.yaml) and returns it absolute, as it does for model files. */
  data_dir: z.string().default('.data'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  auth: authConfigSchema.default(authConfigSchema.parse({})),
  providers: z.array(providerConfigSchema).default([]),
  auto_pick: autoPickConfigSchema.default(autoPickConfigSchema.parse({})),
  circuit_breaker: circuitBreakerConfigSchema.default(circuitBreakerConfigSchema.parse({})),
  cache: cacheConfigSchema.default(cacheConfigSchema.parse({})),
  rate_limit: rateLimitConfigSchema.default(rateLimitConfigSchema.parse({})),
  agents: z.array(agentConfigSchema).default([]),
  /** Multi-stage, multi-model flows that clients call by name, like agents (see pipeline.schema.ts). */
  pipelines: z.array(pipelineConfigSchema).default([]),
  tools: toolsConfigSchema.default(toolsConfigSchema.parse({})),
  queue: queueConfigSchema.default(queueConfigSchema.parse({})),
  /** Local model files, downloads and local model servers (see models-config.schema.ts). */
  models: modelsConfigSchema.default(modelsConfigSchema.parse({})),
});

export type SwitchboardConfig = z.output<typeof switchboardConfigSchema>;
export type SwitchboardConfigInput = z.input<typeof switchboardConfigSchema>;
export type ProviderConfig = z.output<typeof providerConfigSchema>;
export type LlamaCppProviderConfig = z.output<typeof llamaCppProviderSchema>;
export type OpenAICompatibleProviderConfig = z.output<typeof openAICompatibleProviderSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;
export type ToolsConfig = z.output<typeof toolsConfigSchema>;
export type QueueConfig = z.output<typeof queueConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;
export type CircuitBreakerConfig = z.output<typeof circuitBreakerConfigSchema>;
export type RateLimitConfig = z.output<typeof rateLimitConfigSchema>;
export type CacheConfig = z.output<typeof cacheConfigSchema>;
export type AutoPickConfig = z.output<typeof autoPickConfigSchema>;
