import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type MeDto, meSchema } from '@switchboard/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { ZodResponse } from '../common/zod-openapi.decorators.js';
import { MeService } from './me.service.js';

@ApiTags('web')
@ApiBearerAuth()
@Controller('api/me')
export class MeController {
  constructor(private readonly me: MeService) {}

  /** Who the signed-in key is (role decides whether the web app shows the console). */
  @Get()
  @ZodResponse(200, meSchema, [401])
  get(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.me.get(principal);
  }
}
