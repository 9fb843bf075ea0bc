import type { FakeCompletionReply, FakeReply, FakeRequest } from '@switchboard/testing';
import pg from 'pg';
import { cleanUp, type PlatformProcess } from './platform-process.js';
import { randomUUID } from 'node:crypto';

/** Helpers for the fault tests: a continuation-aware upstream script, an SSE client, metrics, a database. */

export const PG_ADMIN = process.env.E2E_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The answer every run streams: numbered words, so a repeated or a missing piece shows. */
export const ANSWER = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ') + '.';

/** The answer as deltas of one word each (with its leading space). */
function deltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/**
 * An upstream that honours continuation the way llama.cpp and vLLM do: when the request's last message is an
 * assistant prefix of the answer, it streams only the rest.
 */
export function continuingReply(
  deltaDelayMs: number,
  /** Holds each first attempt (a request with no partial answer) after this many words until `until` settles. */
  hold?: { afterWords: number; until: PromiseLike<unknown> },
): (req: FakeRequest) => FakeReply {
  return (req) => {
    const messages = (req.body as { messages: { role: string; content: string }[] }).messages;
    const last = messages.at(-1);
    const prefix = last?.role === 'assistant' && ANSWER.startsWith(last.content) ? last.content : '';
    const reply: FakeCompletionReply = { type: 'completion', chunks: deltas(ANSWER.slice(prefix.length)), deltaDelayMs };
    return hold && prefix === '' ? { ...reply, holdAfterDeltas: { after: hold.afterWords, until: hold.until } } : reply;
  };
}

/** The first `words` words of ANSWER, as a client has them after that many deltas. */
export const answerPrefix = (words: number): string => deltas(ANSWER).slice(0, words).join('');

export interface StreamResult {
  runId: string | null;
  text: string;
  /** Arrival time of each text delta (ms since epoch). */
  times: number[];
  errors: unknown[];
  done: boolean;
  /** The `id:` of the last event read, for resuming with Last-Event-ID. */
  lastEventId: string | null;
}

type StreamOptions = {
  signal?: AbortSignal;
  /** Told once the response head arrived (for a queued run: once its job is in the queue). */
  onHead?: (status: number) => void;
  onText?: (text: string, result: StreamResult) => void;
  model?: string;
  /** More request headers (a `traceparent`, say). */
  headers?: Record<string, string>;
};

/** Streams one chat completion through a gateway and collects what the client sees. */
export async function streamChat(gatewayUrl: string, key: string, options: StreamOptions = {}): Promise<StreamResult> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ model: options.model ?? 'fake/m1', stream: true, messages: [{ role: 'user', content: `q-${randomUUID()}` }] }),
    signal: options.signal,
  });
  options.onHead?.(res.status);
  return readStream(res, { runId: res.headers.get('x-run-id'), text: '', times: [], errors: [], done: false, lastEventId: null }, options);
}

/** Follows a run's events after `lastEventId` (GET /v1/runs/:id/events), adding what it reads to `result`. */
export async function resumeRun(gatewayUrl: string, key: string, result: StreamResult, options: StreamOptions = {}): Promise<StreamResult> {
  const res = await fetch(`${gatewayUrl}/v1/runs/${result.runId}/events`, {
    headers: { authorization: `Bearer ${key}`, ...(result.lastEventId ? { 'last-event-id': result.lastEventId } : {}) },
    signal: options.signal,
  });
  return readStream(res, result, options);
}

async function readStream(res: Response, result: StreamResult, options: StreamOptions): Promise<StreamResult> {
  if (res.status !== 200 || !res.body) {
    result.errors.push({ status: res.status, body: await res.text() });
    return result;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (line.startsWith('id: ')) result.lastEventId = line.slice(4);
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') {
          result.done = true;
          continue;
        }
        const parsed = JSON.parse(data) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
        if (parsed.error) result.errors.push(parsed.error);
        const text = parsed.choices?.[0]?.delta?.content;
        if (text) {
          result.text += text;
          result.times.push(Date.now());
          options.onText?.(text, result);
        }
      }
    }
  }
  return result;
}

/** The worker's active-run gauge. */
export async function activeRuns(workerUrl: string): Promise<number> {
  const text = await (await fetch(`${workerUrl}/metrics`)).text();
  return Number(/^switchboard_active_runs\{app="worker"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

export interface TestDatabase {
  url: string;
  query: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
  /**
   * Makes this database unreachable, and only this one (the server and other tests' databases are untouched):
   * refuses new connections (`ALLOW_CONNECTIONS false`) and terminates the open ones.
   */
  block: () => Promise<void>;
  /** Accepts connections again. */
  unblock: () => Promise<void>;
  drop: () => Promise<void>;
}

async function asAdmin(sql: string, params: unknown[] = []): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    await admin.query(sql, params);
  } finally {
    await admin.end();
  }
}

/** A PostgreSQL database of its own, dropped by the returned function. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sb_e2e_fault_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN} (${String(error)}); start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`',
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  let client: pg.Client | null = null;
  return {
    url: url.toString(),
    async query<T>(sql: string, params: unknown[] = []) {
      if (!client) {
        const c = new pg.Client({ connectionString: url.toString() });
        // A terminated connection (block) must not crash the test run; the next query opens a new one.
        c.on('error', () => undefined);
        await c.connect();
        client = c;
      }
      return (await client.query(sql, params)).rows as T[];
    },
    async block() {
      await client?.end().catch(() => undefined);
      client = null;
      await asAdmin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await asAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
    },
    async unblock() {
      await asAdmin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    async drop() {
      await client?.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Ends a fault suite: its processes (newest first, SIGKILL), their Redis keys, the upstream, the database. */
export async function tearDown(procs: PlatformProcess[], upstream: { close(): Promise<void> } | undefined, db: { drop(): Promise<void> } | undefined): Promise<void> {
  for (const p of [...procs].reverse()) await p.stop('SIGKILL');
  await cleanUp(procs[0]);
  await upstream?.close();
  await db?.drop();
}
