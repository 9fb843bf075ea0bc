import { type RunDto } from '@switchboard/contracts';
import { type ProviderCallRow, type RunRow } from '@switchboard/db';

export function toRunDto(row: RunRow, calls: ProviderCallRow[] = []): RunDto {
  return {
    id: row.id,
    status: row.status,
    mode: row.mode,
    model: row.requestedModel,
    provider: row.provider,
    provider_model: row.providerModel,
    conversation_id: row.conversationId,
    attempt: row.attempt,
    usage: { prompt_tokens: row.promptTokens, completion_tokens: row.completionTokens, total_tokens: row.promptTokens + row.completionTokens },
    cost: row.cost,
    finish_reason: row.finishReason,
    error: row.error,
    created_at: row.createdAt.toISOString(),
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
    heartbeat_at: row.heartbeatAt?.toISOString() ?? null,
    output: row.output ?? null,
    attempts: calls.map((c) => ({
      provider: c.provider,
      model: c.model,
      outcome: c.outcome,
      error: c.error,
      latency_ms: c.latencyMs,
      ttft_ms: c.ttftMs,
      cached: c.cached,
    })),
  };
}
