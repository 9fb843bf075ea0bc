import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { Public } from '../auth/auth.decorators.js';
import { QueuesService } from '../queues/queues.service.js';
import { MetricsService } from './metrics.service.js';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly queues: QueuesService,
  ) {}

  /** This api's own metrics, then the queues' (shared by the cluster: left out while Redis is away). */
  @Get()
  @Header('content-type', prometheusContentType)
  async render(): Promise<string> {
    const [own, queues] = await Promise.all([this.metrics.render(), this.queues.prometheus().catch(() => '')]);
    return own + queues;
  }
}
