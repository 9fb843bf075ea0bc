import type { ModelCatalog, SwitchboardConfig } from '@switchboard/contracts';
import type { Redis, RedisKeys, RunEventHub, RunQueue } from '@switchboard/queue';
import type { ModelRouter, ResponseCache } from '@switchboard/runs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Principal } from '@switchboard/auth';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { InlineRuns } from './inline-runs.js';
import type { SendError } from './responses.js';
import type { SseRelay } from './sse-relay.js';

/** What the gateway's request handlers share; built once by startGateway. */
export interface GatewayContext {
  config: SwitchboardConfig;
  logger: Logger;
  keys: RedisKeys;
  /** The command connection (auto-pipelined). */
  cmd: Redis;
  /** The subscriber connection (run events, cancels, circuit changes). */
  sub: Redis;
  hub: RunEventHub;
  runQueue: RunQueue;
  router: ModelRouter;
  cache: ResponseCache;
  inline: InlineRuns;
  metrics: GatewayMetrics;
  relay: SseRelay;
  sendError: SendError;
  /** The current catalog (agents made through the API join it while the gateway runs). */
  catalog(): ModelCatalog;
  /** The config with the current agents and pipelines (the API's among them): what a new pipeline is checked against. */
  liveConfig(): SwitchboardConfig;
  /** The caller, or a 401 / 503 OpenAIError. */
  authenticate(req: IncomingMessage): Promise<Principal>;
  /** Throws a 503 when the queue's Redis connections are not ready. */
  redisReady(): void;
}
