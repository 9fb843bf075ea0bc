import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Liveness, livenessSchema, type Readiness, readinessSchema } from '@switchboard/contracts';
import { Public } from '../auth/auth.decorators.js';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @ZodResponse(200, livenessSchema)
  liveness(): Liveness {
    return this.health.liveness();
  }

  @Get('readyz')
  @ZodResponse(200, readinessSchema, [503])
  readiness(): Promise<Readiness> {
    return this.health.readiness();
  }
}
