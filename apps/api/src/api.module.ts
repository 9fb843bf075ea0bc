import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Authenticator } from '@switchboard/auth';
import { type SwitchboardConfig } from '@switchboard/contracts';
import { type Database } from '@switchboard/db';
import { type Logger } from 'pino';
import { type RedisPinger } from './api-deps.js';
import {
  AGENTS_REPOSITORY,
  API_CONFIG,
  API_KEYS_REPOSITORY,
  BENCHMARKS_REPOSITORY,
  PIPELINES_REPOSITORY,
  AUTHENTICATOR,
  CONVERSATIONS_REPOSITORY,
  DATABASE,
  GATEWAY_PORT,
  LOGGER,
  MESSAGES_REPOSITORY,
  MODELS_OPTIONS,
  REDIS,
  PROVIDER_CALLS_REPOSITORY,
  RUNS_REPOSITORY,
} from './api.tokens.js';
import { AgentsController } from './agents/agents.controller.js';
import { AgentsService } from './agents/agents.service.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthService, type AuthenticatorHandle } from './auth/auth.service.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { ConversationsController } from './conversations/conversations.controller.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { MessagesController } from './conversations/messages.controller.js';
import { MessagesService } from './conversations/messages.service.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { NotificationsServer } from './notifications/notifications.server.js';
import { NotificationsService } from './notifications/notifications.service.js';
import { BenchmarksController } from './benchmarks/benchmarks.controller.js';
import { PipelinesController } from './pipelines/pipelines.controller.js';
import { PipelinesService } from './pipelines/pipelines.service.js';
import { BenchmarksService } from './benchmarks/benchmarks.service.js';
import { ModelJobsClient } from './models/model-jobs.client.js';
import { ModelsController } from './models/models.controller.js';
import { ModelsService, type ModelsOptions } from './models/models.service.js';
import { ProvidersController } from './providers/providers.controller.js';
import { ProvidersService } from './providers/providers.service.js';
import { RunsController } from './runs/runs.controller.js';
import { RunsService } from './runs/runs.service.js';
import { MeController } from './me/me.controller.js';
import { MeService } from './me/me.service.js';
import { QueuesController } from './queues/queues.controller.js';
import { QueuesService } from './queues/queues.service.js';
import { UsageController } from './usage/usage.controller.js';
import { UsageService } from './usage/usage.service.js';
import { WebConfigController } from './web/web-config.controller.js';
import { WebConfigService } from './web/web-config.service.js';

export interface ApiModuleDeps {
  config: SwitchboardConfig;
  db: Database;
  redis: RedisPinger | undefined;
  logger: Logger;
  metrics: MetricsService;
  models?: ModelsOptions;
  authenticator: Authenticator | undefined;
  gatewayPort?: () => number | null;
}

/** The whole REST app in one module: it is small, and one list of its parts reads better than a module tree. */
@Module({})
export class ApiModule {
  static register(deps: ApiModuleDeps): DynamicModule {
    return {
      module: ApiModule,
      controllers: [
        HealthController,
        MetricsController,
        AgentsController,
        ConversationsController,
        MessagesController,
        ApiKeysController,
        RunsController,
        ProvidersController,
        ModelsController,
        BenchmarksController,
        PipelinesController,
        WebConfigController,
        MeController,
        QueuesController,
        UsageController,
      ],
      providers: [
        ...externalProviders(deps),
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        AuthService,
        AgentsService,
        ConversationsService,
        MessagesService,
        ApiKeysService,
        RunsService,
        ModelJobsClient,
        ModelsService,
        BenchmarksService,
        PipelinesService,
        ProvidersService,
        WebConfigService,
        MeService,
        QueuesService,
        UsageService,
        HealthService,
        NotificationsService,
        NotificationsServer,
      ],
    };
  }
}

/** What the caller hands in, and each repository of the database under its own token. */
function externalProviders(deps: ApiModuleDeps): Provider[] {
  const repository = (token: symbol, pick: (db: Database) => unknown): Provider => ({
    provide: token,
    useFactory: pick,
    inject: [DATABASE],
  });
  return [
    { provide: API_CONFIG, useValue: deps.config },
    { provide: DATABASE, useValue: deps.db },
    { provide: LOGGER, useValue: deps.logger },
    { provide: MetricsService, useValue: deps.metrics },
    { provide: MODELS_OPTIONS, useValue: deps.models ?? {} },
    {
      provide: AUTHENTICATOR,
      useFactory: (): AuthenticatorHandle =>
        deps.authenticator
          ? { authenticator: deps.authenticator, owned: false }
          : {
              authenticator: new Authenticator({
                keys: deps.db.apiKeys,
                adminKey: deps.config.auth.admin_key,
                sharedKey: deps.config.auth.api_key,
                ttlMs: deps.config.auth.cache_ttl_ms,
                logger: deps.logger,
              }),
              owned: true,
            },
    },
    ...(deps.redis ? [{ provide: REDIS, useValue: deps.redis }] : []),
    ...(deps.gatewayPort ? [{ provide: GATEWAY_PORT, useValue: deps.gatewayPort }] : []),
    repository(AGENTS_REPOSITORY, (db) => db.agents),
    repository(CONVERSATIONS_REPOSITORY, (db) => db.conversations),
    repository(MESSAGES_REPOSITORY, (db) => db.messages),
    repository(API_KEYS_REPOSITORY, (db) => db.apiKeys),
    repository(RUNS_REPOSITORY, (db) => db.runs),
    repository(BENCHMARKS_REPOSITORY, (db) => db.benchmarks),
    repository(PIPELINES_REPOSITORY, (db) => db.pipelines),
    repository(PROVIDER_CALLS_REPOSITORY, (db) => db.providerCalls),
  ];
}
