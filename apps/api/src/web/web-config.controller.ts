import { Controller, Get, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type WebConfig, webConfigSchema } from '@switchboard/contracts';
import { type FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { WebConfigService } from './web-config.service.js';

@ApiTags('web')
@Public()
@Controller('api/config')
export class WebConfigController {
  constructor(private readonly webConfig: WebConfigService) {}

  /** What the web app needs before it signs in: where the gateway is, and whether a key is needed. */
  @Get()
  @ZodResponse(200, webConfigSchema)
  get(@Req() request: FastifyRequest): Promise<WebConfig> {
    return this.webConfig.get(request.protocol, request.hostname);
  }
}
