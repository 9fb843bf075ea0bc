export * from './redis.js';
export * from './keys.js';
export * from './job-catalog.js';
export * from './run-event-writer.js';
export * from './run-event-hub.js';
export * from './cancel-signals.js';
export * from './run-queue.js';
export * from './run-notifier.js';
