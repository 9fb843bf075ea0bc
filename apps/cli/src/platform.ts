import { startApi } from '@switchboard/api';
import { Authenticator } from '@switchboard/auth';
import { createLogger, loadConfig, startTracing, stopTracing } from '@switchboard/config';
import type { SwitchboardConfig } from '@switchboard/contracts';
import { type Database, openDatabase } from '@switchboard/db';
import { startGateway } from '@switchboard/gateway';
import { connectRedis, createRedis } from '@switchboard/queue';
import { startWorker } from '@switchboard/worker';
import { servedConfig } from './served-config.js';

export type AppName = 'gateway' | 'api' | 'worker';
export const allApps: readonly AppName[] = ['api', 'worker', 'gateway'];

export interface RunningPlatform {
  config: SwitchboardConfig;
  db: Database;
  urls: Partial<Record<AppName, string | null>>;
  close(): Promise<void>;
}

/**
 * Starts some or all apps in this process, sharing one config and one database. Embedded PGlite can only be
 * opened by one process, which is why `npm start` runs everything together; scale-out needs DATABASE_URL.
 */
export async function startPlatform(apps: readonly AppName[], config: SwitchboardConfig = loadConfig()): Promise<RunningPlatform> {
  const logger = createLogger('switchboard', config.log_level);
  if (await startTracing(process.env)) logger.info('tracing: spans go to the OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT)');
  if (!config.database.url && apps.length < allApps.length) {
    logger.warn('embedded database (PGlite) in a single-app process: other processes cannot share it; set DATABASE_URL to scale out');
  }
  // Embedded PGlite runs in a thread of its own: its SQL then neither competes with the streams for this
  // thread nor stalls them (a batch of run records took ~30 ms of event loop; npm run bench, all-in-one p99).
  const db = await openDatabase(config.database.url, { dataDir: config.data_dir, pgliteThread: true });
  // One key cache for the apps of this process: a key created or revoked through the api applies to /v1 at once.
  const authenticator = new Authenticator({
    keys: db.apiKeys,
    adminKey: config.auth.admin_key,
    sharedKey: config.auth.api_key,
    ttlMs: config.auth.cache_ttl_ms,
    logger,
  });
  const closers: (() => Promise<void>)[] = [() => authenticator.close()];
  const urls: RunningPlatform['urls'] = {};
  // The api starts first and tells the web app where the gateway is: the port it listens on once it does.
  let gatewayPort: number | null = null;
  try {
    // The gateway and the worker must agree on the model ids: both serve the same local models.
    const served = apps.includes('worker') || apps.includes('gateway') ? await servedConfig(config, logger) : config;
    if (apps.includes('api')) {
      const redis = createRedis(config.redis.url, 'api');
      await connectRedis(redis, config.redis.url);
      const api = await startApi({ config, db, redis, authenticator, logger: logger.child({ app: 'api' }), gatewayPort: () => gatewayPort });
      urls.api = api.url;
      closers.push(async () => {
        await api.close();
        redis.disconnect();
      });
    }
    if (apps.includes('worker')) {
      const worker = await startWorker({ config: served, db, logger: logger.child({ app: 'worker' }) });
      urls.worker = worker.url;
      closers.push(() => worker.close());
    }
    if (apps.includes('gateway')) {
      const gateway = await startGateway({ config: served, apiKeys: db.apiKeys, agents: db.agents, pipelines: db.pipelines, authenticator, logger: logger.child({ app: 'gateway' }) });
      urls.gateway = gateway.url;
      gatewayPort = gateway.port;
      closers.push(() => gateway.close());
    }
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await db.close();
    throw error;
  }
  return {
    config,
    db,
    urls,
    async close() {
      // Gateways first (stop taking requests), then workers drain, then the api and the database.
      for (const close of [...closers].reverse()) await close();
      await db.close();
      await stopTracing();
    },
  };
}
