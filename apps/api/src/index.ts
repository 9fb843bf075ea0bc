export { createApiApp, createApiLogger, startApi, type RunningApi } from './api-app.js';
export { type ApiDeps, type RedisPinger } from './api-deps.js';
export { toBenchmarkDto } from './benchmarks/benchmark.mapper.js';
