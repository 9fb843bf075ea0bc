import { type BenchmarkDto, type BenchmarkRecommendationDto, type BenchmarkResultDto, type CreateBenchmarkRequest } from '@switchboard/contracts';
import { type BenchmarkRow } from '@switchboard/db';

export function toBenchmarkDto(row: BenchmarkRow): BenchmarkDto {
  const request = row.request as Partial<CreateBenchmarkRequest>;
  return {
    id: row.id,
    status: row.status,
    models: request.models ?? [],
    reference_model: request.reference_model ?? null,
    prompt_set: request.prompt_set ?? 'standard',
    max_tokens: request.max_tokens ?? 0,
    results: (row.results as BenchmarkResultDto[] | null) ?? [],
    recommendations: (row.recommendations as BenchmarkRecommendationDto[] | null) ?? [],
    error: row.error,
    created_at: row.createdAt.toISOString(),
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
  };
}
