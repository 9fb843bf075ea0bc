import { z } from 'zod';
import { chatCompletionRequestSchema } from './openai.schema.js';
import { agentConfigSchema } from './config.schema.js';
import { pipelineConfigSchema } from './pipeline.schema.js';

/** The payload of a `run.chat` job: everything a worker needs, so it never reads the gateway's state. */
export const chatRunJobSchema = z.object({
  runId: z.string(),
  /** Unix seconds when the gateway accepted the request; becomes the chunks' `created`. */
  created: z.number().int(),
  /** Hashed API key id, or null for an open (no keys configured) install. */
  apiKeyId: z.string().nullable(),
  /** Conversation to keep the messages in: ours, or an external id such as Open WebUI's chat id. */
  conversationId: z.string().nullable(),
  externalConversationId: z.string().nullable(),
  mode: z.enum(['stream', 'json']),
  /** The accepting gateway's reply channel: workers publish the run's events there too. */
  replyTo: z.string().nullable().default(null),
  request: chatCompletionRequestSchema,
  /**
   * Set when a gateway that ran the run itself hands it to the queue (its provider failed before answering, it
   * lost Redis, it shut down or died): the first worker attempt is then a continuation, not a fresh start.
   */
  handoff: z.boolean().default(false),
  /**
   * The response cache key (see ResponseCache.keyOf) when the answer may be stored once it is whole; null: not
   * cacheable (cache off, tools, an agent or pipeline, `Cache-Control: no-store`). The gateway looked it up already.
   */
  cacheKey: z.string().nullable().default(null),
  /** Who the per-key token limit counts this run's tokens against (`key:<id>`); null: no token limit. */
  tokenSubject: z.string().nullable().default(null),
  /**
   * The pipeline that runs: an ad-hoc one (POST /v1/pipelines/run, already checked by the gateway) or the saved
   * or configured one `request.model` names, as the gateway knew it. The definition travels with the job, so a
   * worker whose directory is a refresh behind runs it too. Unset: `request.model` names what runs.
   */
  pipeline: pipelineConfigSchema.optional(),
  /** The agent `request.model` names, as the gateway knew it (see `pipeline`). */
  agent: agentConfigSchema.optional(),
  /**
   * The W3C trace context of the hop that enqueued the run, while tracing is on: the worker's spans (the run,
   * its provider attempts) join the request's trace.
   */
  trace: z.object({ traceparent: z.string(), tracestate: z.string().optional() }).optional(),
});
export type ChatRunJob = z.output<typeof chatRunJobSchema>;
