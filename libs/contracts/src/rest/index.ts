export * from './pagination.schema.js';
export * from './errors.schema.js';
export * from './agents.schema.js';
export * from './conversations.schema.js';
export * from './messages.schema.js';
export * from './api-keys.schema.js';
export * from './health.schema.js';
export * from './runs.schema.js';
