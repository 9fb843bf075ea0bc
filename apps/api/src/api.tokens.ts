/**
 * Injection tokens for what the app is given rather than builds: the config, the open database (and each
 * repository of it, so a service injects only the one it uses), an optional Redis client, the logger.
 */
export const API_CONFIG = Symbol('API_CONFIG');
export const DATABASE = Symbol('DATABASE');
export const REDIS = Symbol('REDIS');
export const LOGGER = Symbol('LOGGER');
export const API_METRICS = Symbol('API_METRICS');
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
/** `() => number | null`: the port the gateway of this process listens on, once it does. */
export const GATEWAY_PORT = Symbol('GATEWAY_PORT');

export const AGENTS_REPOSITORY = Symbol('AGENTS_REPOSITORY');
export const CONVERSATIONS_REPOSITORY = Symbol('CONVERSATIONS_REPOSITORY');
export const MESSAGES_REPOSITORY = Symbol('MESSAGES_REPOSITORY');
export const API_KEYS_REPOSITORY = Symbol('API_KEYS_REPOSITORY');
export const RUNS_REPOSITORY = Symbol('RUNS_REPOSITORY');
export const BENCHMARKS_REPOSITORY = Symbol('BENCHMARKS_REPOSITORY');
export const PIPELINES_REPOSITORY = Symbol('PIPELINES_REPOSITORY');
/** Options of the models endpoints (the config file `select` edits). */
export const MODELS_OPTIONS = Symbol('MODELS_OPTIONS');
export const PROVIDER_CALLS_REPOSITORY = Symbol('PROVIDER_CALLS_REPOSITORY');
