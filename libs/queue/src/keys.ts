import { jobCatalog } from './job-catalog.js';

/**
 * Every Redis key and channel Switchboard uses, in one place, under one prefix (config redis.prefix), so
 * several installs can share a Redis and tests can run side by side.
 */
export interface RedisKeys {
  prefix: string;
  /** The run's event stream (XADD with ids 0-<seq>). */
  runEvents(runId: string): string;
  /** Pub/sub channel carrying each event as it is appended, for live subscribers. */
  runChannel(runId: string): string;
  /** One gateway instance's channel: events of the runs it accepted, tagged with their run id. */
  replyChannel(instanceId: string): string;
  /** Channel on which gateways and the API ask workers to cancel a run. */
  cancelChannel(): string;
  /** A run's job (ChatRunJob JSON) while a gateway runs it inline; kept `events_ttl_seconds` after it ends. */
  runJobData(runId: string): string;
  /** Leases of the runs gateways run inline (ZSET: run id, expiry in ms); an expired lease is taken over by a worker. */
  inlineLeases(): string;
  /** Stream of finished inline runs waiting to be recorded in the database by a worker (consumer group). */
  runRecords(): string;
  /** BullMQ's own key prefix. */
  bullPrefix(): string;
  /** The BullMQ job hash of a chat run (its job id is the run id): gone once Redis lost its data. */
  runJob(runId: string): string;
  /**
   * The socket.io Redis key (channels `<key>#/#...`): the workers' emitter publishes run notifications under it
   * and every api instance's adapter listens on it, so both sides derive it from the same prefix.
   */
  socketIoKey(): string;
  /** Hash of manifest model name -> its download's state (ModelDownloadDto JSON). */
  modelDownloads(): string;
  /** Channel announcing a new default local model (`models select`), so running workers serve it at once. */
  modelSelectedChannel(): string;
  /** A provider's circuit breaker: `<key>:fails` (failures in the window), `:open` (until, ms), `:tripped`, `:probe`. */
  circuit(provider: string): string;
  /** Channel on which circuit changes reach every gateway and worker at once. */
  circuitChannel(): string;
  /** One fixed window of a rate limit (`subject` is `key:<id>` or `provider:<name>`). */
  rateWindow(subject: string, what: 'requests' | 'tokens', windowMs: number, bucket: number): string;
  /** An exact-match cached answer. */
  cacheEntry(hash: string): string;
  /** Cached answers by insertion time (ZSET), for max_size eviction. */
  cacheIndex(): string;
  /** The last background probe of a provider's server (JSON), for GET /api/providers. */
  providerHealth(provider: string): string;
  /** Providers an admin switched off at runtime (SET of names; PATCH /api/providers/:name), honoured by every router. */
  disabledProviders(): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    runEvents: (runId) => `${prefix}:run:${runId}:ev`,
    runChannel: (runId) => `${prefix}:run:${runId}`,
    replyChannel: (instanceId) => `${prefix}:gw:${instanceId}`,
    cancelChannel: () => `${prefix}:cancel`,
    runJobData: (runId) => `${prefix}:run:${runId}:job`,
    inlineLeases: () => `${prefix}:inline:leases`,
    runRecords: () => `${prefix}:records`,
    bullPrefix: () => `${prefix}:bull`,
    runJob: (runId) => `${prefix}:bull:${jobCatalog['run.chat'].queue}:${runId}`,
    socketIoKey: () => `${prefix}:socket.io`,
    modelDownloads: () => `${prefix}:models:downloads`,
    modelSelectedChannel: () => `${prefix}:models:selected`,
    circuit: (provider) => `${prefix}:cb:${provider}`,
    circuitChannel: () => `${prefix}:cb`,
    rateWindow: (subject, what, windowMs, bucket) => `${prefix}:rl:${subject}:${what}:${windowMs}:${bucket}`,
    cacheEntry: (hash) => `${prefix}:cache:${hash}`,
    cacheIndex: () => `${prefix}:cache`,
    providerHealth: (provider) => `${prefix}:health:${provider}`,
    disabledProviders: () => `${prefix}:providers:disabled`,
  };
}
