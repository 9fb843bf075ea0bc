export * from './config.schema.js';
export * from './openai.schema.js';
export * from './run-events.js';
export * from './jobs.schema.js';
