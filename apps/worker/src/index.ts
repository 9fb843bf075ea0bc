export * from './worker-app.js';
export { resolveTarget, RouteError, type RunTarget } from '@switchboard/runs';
