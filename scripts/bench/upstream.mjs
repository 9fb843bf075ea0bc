// The benchmark's upstream: the project's fake OpenAI-compatible server in its own process, answering every
// request with the same pre-rendered stream. Prints its base URL on stdout.
import { startFakeUpstream } from '@switchboard/testing';

const deltas = Number(process.env.BENCH_DELTAS ?? 16);
// BENCH_FIRST_DELTA_MS: the upstream "thinks" this long before its first token (the cache phase's provider).
const firstDeltaDelayMs = Number(process.env.BENCH_FIRST_DELTA_MS ?? 0);
const upstream = await startFakeUpstream({
  record: false,
  reply: { type: 'completion', chunks: Array.from({ length: deltas }, (_, i) => `tok${i} `), ...(firstDeltaDelayMs ? { firstDeltaDelayMs } : {}) },
});
console.log(upstream.url);
process.on('SIGTERM', () => upstream.close().then(() => process.exit(0)));
