import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type UsageQueryParams, usageQuerySchema, type UsageReportDto, usageReportSchema } from '@switchboard/contracts';
import { CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { UsageService } from './usage.service.js';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('api/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /** Tokens, cost and runs per key, model and UTC day (or fewer dimensions): every key's for an admin, else the caller's own. */
  @Get()
  @ZodResponse(200, usageReportSchema, [400, 401])
  report(@CurrentPrincipal() principal: Principal, @ZodQuery(usageQuerySchema) query: UsageQueryParams): Promise<UsageReportDto> {
    return this.usage.report(principal, query);
  }
}
