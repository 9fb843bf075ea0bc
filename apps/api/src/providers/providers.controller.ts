import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type ProviderStatusListDto, providerStatusListSchema } from '@switchboard/contracts';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { ProvidersService } from './providers.service.js';

@ApiTags('providers')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  /** Each provider's circuit state, health probe, and latency and error rate over the last 15 minutes. */
  @Get()
  @ZodResponse(200, providerStatusListSchema, [401, 403])
  list(): Promise<ProviderStatusListDto> {
    return this.providers.list();
  }
}
