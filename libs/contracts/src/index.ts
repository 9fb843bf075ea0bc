export * from './config.schema.js';
export * from './openai.schema.js';
export * from './run-events.js';
export * from './jobs.schema.js';
export * from './rest/index.js';
export * from './api-keys.js';
export * from './model-catalog.js';
