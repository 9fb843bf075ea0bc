import { z } from 'zod';
import { pipelineConfigSchema, pipelineStageSchema } from '../pipeline.schema.js';
import { timestampSchema } from './pagination.schema.js';

/**
 * Pipelines over REST and the ad-hoc pipeline run. A pipeline is sent with exactly the shape it has under
 * `pipelines:` in config/switchboard.yaml (name, description, stages), so a definition moves between the file,
 * the web app's Manual tab and the API unchanged, and is checked by the same rules (libs/config
 * validatePipeline), each problem naming its field path (`stages[1].models[0]`).
 */

/** A saved pipeline. Configured ones live in the config file and are not listed here. */
export const savedPipelineSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    stages: z.array(pipelineStageSchema),
    /** The key that saved it; null for the config's keys and an open install. */
    created_by: z.string().nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'SavedPipeline' });
export type SavedPipelineDto = z.output<typeof savedPipelineSchema>;

/**
 * POST /api/pipelines: the pipeline as in config. The API checks the body with validatePipeline (this schema
 * and the cross-field rules together), so every problem comes back with its path; the schema is named here
 * for the OpenAPI document.
 */
export const savePipelineRequestSchema = pipelineConfigSchema;
export type SavePipelineRequest = z.output<typeof savePipelineRequestSchema>;

export const savedPipelineListSchema = z.object({ data: z.array(savedPipelineSchema) }).meta({ id: 'SavedPipelineList' });
export type SavedPipelineList = z.output<typeof savedPipelineListSchema>;

/**
 * An ad-hoc run's body (POST /v1/pipelines/run) is `name`, `description` and `stages` (the pipeline) beside a
 * chat completion request's keys (`messages`, `stream`, `stream_options`, ...) without `model`. `name` is
 * optional there: it labels the run (the answer's `model`), and defaults to this.
 */
export const ADHOC_PIPELINE_NAME = 'manual';
