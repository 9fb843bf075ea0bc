#!/usr/bin/env node
// What writing run records costs the database layer: `node scripts/bench/record-runs.mjs` after `npm run build`.
// recordRuns (libs/db) in batches, as the worker writes them, of records shaped like the bench's runs (a
// conversation of their own, the question and the answer, the run, one provider call, the key's spend); prints
// the CPU per run of this process (Prisma, the driver, and for PGlite its engine and thread) and of PostgreSQL.
//   BENCH_DB=postgresql|pglite|pglite-thread   default postgresql (a database of its own on BENCH_PG_URL); pglite
//                                              is embedded PGlite on disk in this thread, pglite-thread in a thread
//                                              of its own as `switchboard start` runs it
//   BENCH_BATCH=55                             runs per batch (the worker's at ~550 runs/s and a 100 ms linger)
//   BENCH_BATCHES=200                          batches measured, after 20 to warm up
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId, openDatabase } from '@switchboard/db';
import { benchDatabase, cpuSampler } from './support.mjs';

const DB = process.env.BENCH_DB ?? 'postgresql';
const BATCH = Number(process.env.BENCH_BATCH ?? 55);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-record-bench-'));
const server = DB === 'postgresql' ? await benchDatabase(PG_ADMIN_URL) : null;
const db = await openDatabase(server ? server.url : '', { dataDir: dir, pgliteThread: DB === 'pglite-thread' });
try {
  const key = await db.apiKeys.create({ name: 'bench', prefix: 'sb-bench', hash: newId(), role: 'admin' });
  const record = () => {
    const conversationId = newId();
    const runId = newId();
    const now = new Date();
    return {
      conversation: { id: conversationId, ownerKeyId: key.id, externalId: null, title: 'Say something.' },
      run: { id: runId, conversationId, apiKeyId: key.id, requestedModel: 'up/m', status: 'succeeded', mode: 'sync', provider: 'up', providerModel: 'm', attempt: 1, startedAt: now, finishedAt: now, promptTokens: 12, completionTokens: 16, cost: 0, finishReason: 'stop' },
      messages: [
        { id: newId(), conversationId, role: 'user', content: 'Say something.' },
        { id: newId(), conversationId, role: 'assistant', content: 'word '.repeat(16), runId, promptTokens: 12, completionTokens: 16 },
      ],
      providerCalls: [{ runId, provider: 'up', model: 'm', latencyMs: 5, ttftMs: 1, promptTokens: 12, completionTokens: 16, outcome: 'ok' }],
      spend: { apiKeyId: key.id, tokens: 28, cost: 0 },
    };
  };
  const batch = () => Array.from({ length: BATCH }, record);
  for (let i = 0; i < 20; i++) await db.recordRuns(batch());
  const batches = Array.from({ length: BATCHES }, batch);
  const cpu = cpuSampler({ bench: [process.pid] });
  cpu.start();
  const t0 = performance.now();
  for (const b of batches) await db.recordRuns(b);
  const wallMs = performance.now() - t0;
  const runs = BATCHES * BATCH;
  const perRun = cpu.perRun(runs);
  console.log(
    `${DB}, ${BATCHES} batches of ${BATCH}: per run ${((wallMs / runs) * 1000).toFixed(0)} µs of wall time, ` +
      `${(perRun.bench * 1000).toFixed(0)} µs of this process's CPU, ${(perRun.postgres * 1000).toFixed(0)} µs of PostgreSQL's`,
  );
} finally {
  await db.close();
  await server?.drop();
  rmSync(dir, { recursive: true, force: true });
}
