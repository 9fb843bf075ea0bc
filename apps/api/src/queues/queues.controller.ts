import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type QueueOverviewDto, queueOverviewSchema } from '@switchboard/contracts';
import { AdminOnly } from '../auth/auth.decorators.js';
import { type FastifyReply } from 'fastify';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { QueuesService } from './queues.service.js';

@ApiTags('queues')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  /** Job counts per queue (BullMQ) and the runs being worked on now, queued or inline. */
  @Get()
  @ZodResponse(200, queueOverviewSchema, [401, 403, 503])
  overview(): Promise<QueueOverviewDto> {
    return this.queues.overview();
  }

  /** Opens the queue board (bull-board at /api/admin/queues) for this browser: a short-lived HttpOnly cookie. */
  @Post('board-session')
  @HttpCode(204)
  @ZodResponse(204, null, [401, 403, 503])
  async boardSession(@Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    void reply.header('set-cookie', await this.queues.boardSessionCookie());
  }
}
