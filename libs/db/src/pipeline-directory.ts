import { type PipelineConfig, pipelineConfigSchema } from '@switchboard/contracts';
import { type DirectoryLogger, LiveDirectory } from './live-directory.js';
import type { PipelineRow } from './entities.js';
import type { PipelinesRepository } from './repositories.js';

/** A saved row as the pipeline config it was saved from, or the schema's complaint. */
export function pipelineFromRow(row: PipelineRow): { ok: true; pipeline: PipelineConfig } | { ok: false; problem: string } {
  const parsed = pipelineConfigSchema.safeParse({ name: row.name, description: row.description, stages: row.stages });
  return parsed.success ? { ok: true, pipeline: parsed.data } : { ok: false, problem: parsed.error.message };
}

/**
 * The pipelines runs use: those of the config file, then those saved through the API (POST /api/pipelines),
 * listed and callable on every gateway and worker within the refresh time without a restart. The API refuses a saved name that a configured pipeline has, so the config's
 * definition is kept if one turns up anyway (the file gained the name later). Without a database: the config's.
 */
export class PipelineDirectory extends LiveDirectory<PipelineRow, PipelineConfig> {
  constructor(repository: PipelinesRepository | null, configured: readonly PipelineConfig[], logger: DirectoryLogger, refreshMs = 2000) {
    super(repository, configured, logger, 'saved pipelines', refreshMs);
  }

  protected merge(rows: readonly PipelineRow[]): PipelineConfig[] {
    const configuredNames = new Set(this.configured.map((p) => p.name));
    const saved: PipelineConfig[] = [];
    for (const row of rows) {
      if (configuredNames.has(row.name)) continue;
      const parsed = pipelineFromRow(row);
      if (parsed.ok) saved.push(parsed.pipeline);
      else this.logger.warn({ pipeline: row.name, problem: parsed.problem }, 'skipping a saved pipeline the schema rejects');
    }
    return [...this.configured, ...saved];
  }
}
