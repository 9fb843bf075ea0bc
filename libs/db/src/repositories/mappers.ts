import type { ToolCall } from '@switchboard/contracts';
import { DbNull } from '@prisma/client/runtime/client';
import type {
  Agent as AgentModel,
  ApiKey as ApiKeyModel,
  Conversation as ConversationModel,
  Message as MessageModel,
  Prisma,
  Benchmark as BenchmarkModel,
  Pipeline as PipelineModel,
  ProviderCall as ProviderCallModel,
  Run as RunModel,
} from '../generated/postgresql/client.js';
import type { AgentRow, ApiKeyRow, BenchmarkRow, PipelineRow, ConversationRow, MessageRow, ProviderCallRow, RunRow } from '../entities.js';

/**
 * Prisma models -> the plain rows of entities.ts (numbers instead of BigInt and Decimal, string unions instead
 * of strings, parsed JSON), and back for JSON inputs.
 */

/** Start (UTC) of the budget period that contains `now`. */
export function currentPeriodStart(period: 'day' | 'month', now: Date = new Date()): Date {
  return period === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

function budgetPeriod(value: string | null): 'day' | 'month' | null {
  return value === 'day' || value === 'month' ? value : null;
}

export function toApiKeyRow(m: ApiKeyModel, now: Date = new Date()): ApiKeyRow {
  const period = budgetPeriod(m.budgetPeriod);
  let spentTokens = Number(m.spentTokens);
  let spentCost = m.spentCost.toNumber();
  let periodStartedAt = m.periodStartedAt;
  // Spend is per period: a row whose period is over reads as a fresh period (addSpend resets it on next write).
  if (period) {
    const start = currentPeriodStart(period, now);
    if (!periodStartedAt || periodStartedAt < start) {
      spentTokens = 0;
      spentCost = 0;
      periodStartedAt = start;
    }
  }
  return {
    id: m.id,
    name: m.name,
    prefix: m.prefix,
    hash: m.hash,
    role: m.role === 'admin' ? 'admin' : 'user',
    rateLimitPerMinute: m.rateLimitPerMinute,
    budgetTokens: m.budgetTokens === null ? null : Number(m.budgetTokens),
    budgetCost: m.budgetCost === null ? null : m.budgetCost.toNumber(),
    budgetPeriod: period,
    spentTokens,
    spentCost,
    periodStartedAt,
    createdAt: m.createdAt,
    lastUsedAt: m.lastUsedAt,
    revokedAt: m.revokedAt,
  };
}

export function toAgentRow(m: AgentModel): AgentRow {
  return {
    id: m.id,
    name: m.name,
    description: m.description,
    model: m.model,
    systemPrompt: m.systemPrompt,
    tools: Array.isArray(m.tools) ? m.tools.filter((t): t is string => typeof t === 'string') : [],
    budgets: m.budgets ?? null,
    onBudgetExceeded: m.onBudgetExceeded === 'stop' ? 'stop' : 'background',
    source: m.source === 'api' ? 'api' : 'config',
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function toConversationRow(m: ConversationModel): ConversationRow {
  return {
    id: m.id,
    ownerKeyId: m.ownerKeyId,
    agentId: m.agentId,
    externalId: m.externalId,
    title: m.title,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function toMessageRow(m: MessageModel): MessageRow {
  return {
    id: m.id,
    conversationId: m.conversationId,
    role: m.role as MessageRow['role'],
    content: m.content,
    toolCalls: Array.isArray(m.toolCalls) ? (m.toolCalls as unknown as ToolCall[]) : null,
    toolCallId: m.toolCallId,
    runId: m.runId,
    promptTokens: m.promptTokens,
    completionTokens: m.completionTokens,
    createdAt: m.createdAt,
  };
}

export function toRunRow(m: RunModel): RunRow {
  return {
    id: m.id,
    conversationId: m.conversationId,
    agentId: m.agentId,
    apiKeyId: m.apiKeyId,
    status: m.status as RunRow['status'],
    mode: m.mode === 'background' ? 'background' : 'sync',
    requestedModel: m.requestedModel,
    provider: m.provider,
    providerModel: m.providerModel,
    attempt: m.attempt,
    heartbeatAt: m.heartbeatAt,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    promptTokens: m.promptTokens,
    completionTokens: m.completionTokens,
    cost: m.cost.toNumber(),
    finishReason: m.finishReason,
    error: m.error,
    output: m.output ?? null,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function toProviderCallRow(m: ProviderCallModel): ProviderCallRow {
  return {
    id: m.id,
    runId: m.runId,
    provider: m.provider,
    model: m.model,
    latencyMs: m.latencyMs,
    ttftMs: m.ttftMs,
    promptTokens: m.promptTokens,
    completionTokens: m.completionTokens,
    outcome: m.outcome as ProviderCallRow['outcome'],
    error: m.error,
    cached: m.cached,
    createdAt: m.createdAt,
  };
}

export function toBenchmarkRow(m: BenchmarkModel): BenchmarkRow {
  return {
    id: m.id,
    status: m.status as BenchmarkRow['status'],
    apiKeyId: m.apiKeyId,
    request: m.request,
    results: m.results ?? null,
    recommendations: m.recommendations ?? null,
    error: m.error,
    createdAt: m.createdAt,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    updatedAt: m.updatedAt,
  };
}

export function toPipelineRow(m: PipelineModel): PipelineRow {
  return { id: m.id, name: m.name, description: m.description, stages: m.stages, createdBy: m.createdBy, createdAt: m.createdAt, updatedAt: m.updatedAt };
}

/** A nullable JSON column's input: `null` stores SQL NULL, `undefined` leaves the column alone. */
export function jsonOrNull(value: unknown): Prisma.InputJsonValue | typeof DbNull | undefined {
  if (value === undefined) return undefined;
  if (value === null) return DbNull;
  return value as Prisma.InputJsonValue;
}

export function bigIntOrNull(value: number | null | undefined): bigint | null | undefined {
  if (value === undefined || value === null) return value;
  return BigInt(Math.round(value));
}

/** Copies the keys of `patch` that are set (Prisma treats `undefined` as "leave alone", but be explicit). */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
