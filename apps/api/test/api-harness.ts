import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type SwitchboardConfig, type SwitchboardConfigInput, switchboardConfigSchema } from '@switchboard/contracts';
import { type Database, openDatabase } from '@switchboard/db';
import { deleteKeysUnder } from '@switchboard/testing';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { type RedisPinger, startApi } from '../src/index.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const SHARED_KEY = 'test-shared-key-0123456789';

export interface TestResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  /** Sent as it is, for malformed and oversized bodies. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  db: Database;
  config: SwitchboardConfig;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

/**
 * A test config: loopback, a free port, silent logs, a Redis prefix of its own (the API's queues write under it
 * even when a test never sends a job, and the default `sb` is a running platform's); auth and agents as the test
 * needs.
 */
export function testConfig(overrides: SwitchboardConfigInput = {}): SwitchboardConfig {
  return switchboardConfigSchema.parse({
    log_level: 'silent',
    ...overrides,
    server: { host: '127.0.0.1', api_port: 0, ...overrides.server },
    redis: { prefix: `sbtest-api-${randomUUID().slice(0, 8)}`, ...overrides.redis },
  });
}

/** Deletes what the API left under a test prefix (never under a prefix a test did not make). */
async function deleteTestKeys(config: SwitchboardConfig): Promise<void> {
  if (!config.redis.prefix.startsWith('sbtest-')) return;
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await deleteKeysUnder(redis, config.redis.prefix);
  } catch {
    // No Redis (a test of the API without one): nothing was written.
  } finally {
    redis.disconnect();
  }
}

export interface TestApiOptions {
  redis?: RedisPinger;
  logger?: Logger;
  /** Share another app's database (left open on close); default: a fresh in-memory PGlite. */
  db?: Database;
  /** The built web app to serve (see ApiDeps.webDir). */
  webDir?: string;
  gatewayPort?: () => number | null;
}

/** The API on a free loopback port, by default over its own in-memory PGlite database. */
export async function startTestApi(config: SwitchboardConfig, options: TestApiOptions = {}): Promise<TestApi> {
  const ownDb = options.db === undefined;
  const db = options.db ?? (await openDatabase('memory://'));
  const logger = options.logger ?? pino({ level: 'silent' });
  const api = await startApi({ config, db, redis: options.redis, logger, webDir: options.webDir, gatewayPort: options.gatewayPort }).catch(async (error: unknown) => {
    if (ownDb) await db.close();
    throw error;
  });
  return {
    url: api.url,
    db,
    config,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
      const headers: Record<string, string> = { ...options.headers };
      if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${api.url}${path}`, { method, headers, body });
      const text = await response.text();
      const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
      return { status: response.status, headers: response.headers, text, body: (isJson && text ? JSON.parse(text) : text) as T };
    },
    async close(): Promise<void> {
      await api.close();
      if (ownDb) await db.close();
      await deleteTestKeys(config);
    },
  };
}

/** A pino logger that keeps every line, to assert on what the app logs. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}
