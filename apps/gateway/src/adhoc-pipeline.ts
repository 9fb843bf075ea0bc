import { ADHOC_PIPELINE_NAME } from '@switchboard/contracts';
import { validatePipeline } from '@switchboard/config';
import type { ParsedRun } from './chat-completions.js';
import type { GatewayContext } from './gateway-context.js';
import { OpenAIError } from './openai-error.js';
import { parseChatRequest } from './validation.js';

/**
 * POST /v1/pipelines/run: a pipeline definition (`name`, `description`, `stages`, as under `pipelines:` in
 * config) next to a chat completion request's keys (`messages`, `stream`, ...; no `model`). The definition is
 * checked by the config's own rules (validatePipeline) against the agents and pipelines callable now, and the
 * run then takes the path of a configured pipeline: queued with the definition in its job, run by a worker,
 * streamed and resumable like any run. Nothing is saved; POST /api/pipelines saves one.
 */
export function parseAdhocPipelineRequest(ctx: GatewayContext, body: string): ParsedRun {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw OpenAIError.invalidRequest(`We could not parse the JSON body of your request: ${(error as Error).message}`, null, 'invalid_json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw OpenAIError.invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  const { name, description, stages, model, ...chat } = json as Record<string, unknown>;
  if (model !== undefined) {
    throw OpenAIError.invalidRequest('`model` is not used here: the pipeline is defined by `stages` (and optionally `name`).', 'model', 'invalid_value');
  }
  const definition = { name: name ?? ADHOC_PIPELINE_NAME, ...(description === undefined ? {} : { description }), stages };
  const checked = validatePipeline(definition, ctx.liveConfig(), { requireFreeName: false });
  if (!checked.ok) {
    const details = checked.problems.map((p) => ({ path: p.param, message: p.message }));
    const first = checked.problems[0];
    const message = checked.problems.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)).join('; ');
    throw new OpenAIError(400, `Invalid pipeline: ${message}`, 'invalid_request_error', 'invalid_pipeline', first?.param || null, undefined, undefined, details);
  }
  const pipeline = checked.pipeline;
  const request = parseChatRequest(JSON.stringify({ ...chat, model: pipeline.name }));
  return { request, route: { kind: 'pipeline', id: pipeline.name, pipeline: pipeline.name }, pipeline };
}
