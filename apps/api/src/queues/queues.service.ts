import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type QueueOverviewDto, type SwitchboardConfig } from '@switchboard/contracts';
import { API_CONFIG } from '../api.tokens.js';
import { QueuesClient } from './queues.client.js';

/** Queue depth and active runs for the console's home page. */
@Injectable()
export class QueuesService implements OnModuleDestroy {
  readonly client: QueuesClient;

  constructor(@Inject(API_CONFIG) config: SwitchboardConfig) {
    this.client = new QueuesClient(config);
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.close();
  }

  overview(): Promise<QueueOverviewDto> {
    return this.client.overview();
  }
}
