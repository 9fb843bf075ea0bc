export * from './worker-app.js';
export { resolveTarget, RouteError, type RunTarget } from '@switchboard/runs';
export { BenchmarkRequestError, runBenchmark, type BenchmarkOutcome, type BenchmarkRunDeps } from './benchmark-run.js';
