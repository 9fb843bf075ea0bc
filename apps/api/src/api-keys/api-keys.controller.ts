import { Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type ApiKeyDto,
  apiKeyPageSchema,
  apiKeySchema,
  type CreateApiKeyRequest,
  createApiKeyRequestSchema,
  type CreatedApiKeyDto,
  createdApiKeySchema,
  type PageQueryParams,
  pageQuerySchema,
  type PageResponse,
  type UpdateApiKeyRequest,
  updateApiKeyRequestSchema,
} from '@switchboard/contracts';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ZodBody, ZodQuery, ZodResponse } from '../common/zod-openapi.decorators.js';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiKeysService } from './api-keys.service.js';

@ApiTags('keys')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ZodResponse(201, createdApiKeySchema, [400, 401, 403])
  create(@ZodBody(createApiKeyRequestSchema) body: CreateApiKeyRequest): Promise<CreatedApiKeyDto> {
    return this.keys.create(body);
  }

  @Get()
  @ZodResponse(200, apiKeyPageSchema, [400, 401, 403])
  list(@ZodQuery(pageQuerySchema) query: PageQueryParams): Promise<PageResponse<ApiKeyDto>> {
    return this.keys.list(query);
  }

  @Patch(':id')
  @ZodResponse(200, apiKeySchema, [400, 401, 403, 404])
  update(@Param('id', new IdParamPipe('API key')) id: string, @ZodBody(updateApiKeyRequestSchema) body: UpdateApiKeyRequest): Promise<ApiKeyDto> {
    return this.keys.update(id, body);
  }

  @Delete(':id')
  @ZodResponse(200, apiKeySchema, [401, 403, 404])
  revoke(@Param('id', new IdParamPipe('API key')) id: string): Promise<ApiKeyDto> {
    return this.keys.revoke(id);
  }
}
