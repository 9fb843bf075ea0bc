import { type PipelineConfig, pipelineConfigSchema } from '@switchboard/contracts';
import type { DirectoryLogger } from './agent-directory.js';
import type { PipelineRow } from './entities.js';
import type { PipelinesRepository } from './repositories.js';

/** A saved row as the pipeline config it was saved from, or the schema's complaint. */
export function pipelineFromRow(row: PipelineRow): { ok: true; pipeline: PipelineConfig } | { ok: false; problem: string } {
  const parsed = pipelineConfigSchema.safeParse({ name: row.name, description: row.description, stages: row.stages });
  return parsed.success ? { ok: true, pipeline: parsed.data } : { ok: false, problem: parsed.error.message };
}

/**
 * The pipelines runs use: those of the config file, then those saved through the API (POST /api/pipelines),
 * read again every `refreshMs`, so a saved pipeline is listed and callable on every gateway and worker within
 * that time without a restart. The API refuses a saved name that a configured pipeline has, so the config's
 * definition is kept if one turns up anyway (the file gained the name later). Without a database: the config's.
 */
export class PipelineDirectory {
  private pipelines: PipelineConfig[];
  private signature = '';
  private timer: NodeJS.Timeout | null = null;
  private onChange: (pipelines: readonly PipelineConfig[]) => void = () => undefined;

  constructor(
    private readonly repository: PipelinesRepository | null,
    private readonly configured: readonly PipelineConfig[],
    private readonly logger: DirectoryLogger,
    private readonly refreshMs = 2000,
  ) {
    this.pipelines = [...configured];
  }

  get current(): readonly PipelineConfig[] {
    return this.pipelines;
  }

  /** Reads the database once now, then every refreshMs; `onChange` runs whenever the set of pipelines changed. */
  async start(onChange: (pipelines: readonly PipelineConfig[]) => void): Promise<void> {
    if (!this.repository) return;
    this.onChange = onChange;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** Reads the database now (see AgentDirectory.refresh: a worker looks again before it fails a run). */
  async refresh(): Promise<void> {
    if (!this.repository) return;
    try {
      if (this.load(await this.repository.list())) this.onChange(this.pipelines);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read saved pipelines from the database; keeping the last known ones');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private load(rows: readonly PipelineRow[]): boolean {
    const configuredNames = new Set(this.configured.map((p) => p.name));
    const saved: PipelineConfig[] = [];
    for (const row of rows) {
      if (configuredNames.has(row.name)) continue;
      const parsed = pipelineFromRow(row);
      if (parsed.ok) saved.push(parsed.pipeline);
      else this.logger.warn({ pipeline: row.name, problem: parsed.problem }, 'skipping a saved pipeline the schema rejects');
    }
    const pipelines = [...this.configured, ...saved];
    const signature = JSON.stringify(pipelines);
    if (signature === this.signature) return false;
    this.signature = signature;
    this.pipelines = pipelines;
    return true;
  }
}
