import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type QueueOverviewDto, type SwitchboardConfig } from '@switchboard/contracts';
import { API_CONFIG } from '../api.tokens.js';
import { BOARD_COOKIE, BOARD_SESSION_SECONDS, QUEUE_BOARD_PATH } from './queue-board.routes.js';
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

  prometheus(): Promise<string> {
    return this.client.prometheus({ app: 'api' });
  }

  /** Scoped to the board's path, unreadable by scripts, never sent by other sites. */
  async boardSessionCookie(): Promise<string> {
    const token = await this.client.createBoardSession(BOARD_SESSION_SECONDS);
    return `${BOARD_COOKIE}=${token}; Path=${QUEUE_BOARD_PATH}; Max-Age=${BOARD_SESSION_SECONDS}; HttpOnly; SameSite=Strict`;
  }
}
