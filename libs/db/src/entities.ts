/**
 * The rows the rest of the platform sees. Repositories map Prisma's models to these plain shapes so that
 * nothing outside libs/db depends on the generated client (which differs between Postgres and MySQL).
 * prisma/schema.prisma is the source of truth; these mirror it.
 */
import type { RunStatus, ToolCall } from '@switchboard/contracts';

export type ApiKeyRole = 'admin' | 'user';

export interface ApiKeyRow {
  id: string;
  name: string;
  /** First characters of the secret (`sb-ab12cd`), shown to people to tell keys apart. */
  prefix: string;
  /** sha256 hex of the whole secret; the secret itself is never stored. */
  hash: string;
  role: ApiKeyRole;
  /** Requests per minute for this key; null means the configured default. */
  rateLimitPerMinute: number | null;
  /** Token and cost budgets per period; null means unlimited. */
  budgetTokens: number | null;
  budgetCost: number | null;
  budgetPeriod: 'day' | 'month' | null;
  spentTokens: number;
  spentCost: number;
  periodStartedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface AgentRow {
  id: string;
  name: string;
  description: string;
  model: string;
  systemPrompt: string;
  tools: string[];
  /** The `budgets` object of the agent config, as JSON. */
  budgets: unknown;
  onBudgetExceeded: 'background' | 'stop';
  /** `config` rows are (re)seeded from config/switchboard.yaml at start; `api` rows were made through the API. */
  source: 'config' | 'api';
  createdAt: Date;
  updatedAt: Date;
}

export interface ConversationRow {
  id: string;
  ownerKeyId: string | null;
  agentId: string | null;
  /** A client's own id for the conversation, such as Open WebUI's chat id. Unique per owner. */
  externalId: string | null;
  title: string;
  createdAt: Date;
  updatedAt: Date;
}

export type MessageRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface MessageRow {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  toolCalls: ToolCall[] | null;
  toolCallId: string | null;
  runId: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  createdAt: Date;
}

export interface RunRow {
  id: string;
  conversationId: string | null;
  agentId: string | null;
  apiKeyId: string | null;
  status: RunStatus;
  mode: 'sync' | 'background';
  /** The model the client asked for (`auto`, an agent, `provider/model`). */
  requestedModel: string;
  /** Who answered. */
  provider: string | null;
  providerModel: string | null;
  attempt: number;
  heartbeatAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  finishReason: string | null;
  error: string | null;
  /** Per-stage outputs of pipelines and other structured results. */
  output: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderCallRow {
  id: string;
  runId: string;
  provider: string;
  model: string;
  latencyMs: number;
  /** Time to first token, for streamed calls. */
  ttftMs: number | null;
  promptTokens: number;
  completionTokens: number;
  outcome: 'ok' | 'error' | 'aborted' | 'skipped';
  error: string | null;
  cached: boolean;
  createdAt: Date;
}

export type BenchmarkStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A benchmark of models: the request as JSON, and the results and recommendations once a worker ran it. */
export interface BenchmarkRow {
  id: string;
  status: BenchmarkStatus;
  apiKeyId: string | null;
  request: unknown;
  results: unknown;
  recommendations: unknown;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** A pipeline saved through the API; `stages` is the pipeline config's list, as JSON. */
export interface PipelineRow {
  id: string;
  name: string;
  description: string;
  stages: unknown;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Cursor pagination: pass `nextCursor` back as `cursor` for the next page; null means the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface PageQuery {
  cursor?: string | null;
  limit: number;
}
