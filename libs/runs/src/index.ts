export * from './model-router.js';
export * from './model-run.js';
export * from './provider-registry.js';
export * from './run-outcome.js';
export * from './run-state.js';
