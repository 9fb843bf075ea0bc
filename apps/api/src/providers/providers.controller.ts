import { Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type ProviderStatusDto,
  type ProviderStatusListDto,
  providerStatusListSchema,
  providerStatusSchema,
  type UpdateProviderRequest,
  updateProviderRequestSchema,
} from '@switchboard/contracts';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ZodBody, ZodResponse } from '../common/zod-openapi.decorators.js';
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

  /** Switches a provider off or back on at runtime, for every gateway and worker sharing this Redis. */
  @Patch(':name')
  @ZodResponse(200, providerStatusSchema, [400, 401, 403, 404, 503])
  update(@Param('name') name: string, @ZodBody(updateProviderRequestSchema) body: UpdateProviderRequest): Promise<ProviderStatusDto> {
    return this.providers.setEnabled(name, body.enabled);
  }
}
