export * from './worker-app.js';
export { resolveTarget, RouteError, type RunTarget } from './model-router.js';
