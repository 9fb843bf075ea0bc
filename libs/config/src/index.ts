export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { ConfigError } from './config-error.js';
export { redactConfig, redactUrl, REDACTED } from './redact.js';
export { chooseConfigFile, findConfigFile, findProjectRoot, DEFAULT_CONFIG_FILE, type ConfigFileChoice } from './config-file.js';
export { CORE_ENV_VARIABLES, GENERIC_ENV_PREFIX } from './env-overrides.js';
export { createLogger, logDestination, type LogOutput, type Logger } from './logger.js';
export { selectModelInConfig, type ConfigEdit, type ModelChoice } from './models-config.editor.js';
export { writeDefaultLocalModel, type DefaultModelChoice, type DefaultModelOutcome } from './default-model.js';
export { validatePipeline, type PipelineProblem, type PipelineValidation, type ValidatePipelineOptions } from './pipeline-checks.js';
export { metricsRegistry, type MetricsApp } from './metrics-registry.js';
export {
  extractTrace,
  injectTrace,
  startSpan,
  startTracing,
  stopTracing,
  tracingEnabled,
  withSpan,
  type TraceCarrier,
} from './tracing.js';
