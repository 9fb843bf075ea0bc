// What the router's Prometheus metrics cost a run: one routed call's observer (serving + one attempt), timed in a
// loop against a real prom-client registry. `node scripts/bench/route-metrics.mjs` after `npm run build`.
import { Registry } from 'prom-client';
import { RouteMetrics } from '@switchboard/runs';

const metrics = new RouteMetrics(new Registry(), { providers: ['p'], circuit: () => 'closed', price: (_p, _m, u) => u.prompt_tokens * 1e-6 });
const candidates = [{ provider: 'p', model: 'm' }, { provider: 'q', model: 'm' }];
const attempt = { provider: 'p', model: 'm', outcome: 'ok', error: null, latencyMs: 12, ttftMs: 3, usage: { prompt_tokens: 10, completion_tokens: 16, total_tokens: 26 }, cached: false, continued: false };
const N = 200_000;
for (let round = 1; round <= 3; round++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const observer = metrics.observe(candidates, undefined);
    observer.serving(candidates[0]);
    observer.attempt(attempt);
  }
  console.log(`round ${round}: ${(Number(process.hrtime.bigint() - t0) / N / 1000).toFixed(2)} µs per run`);
}
