import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type CatalogueModelDto,
  catalogueModelSchema,
  type ModelCatalogueDto,
  modelCatalogueSchema,
  type ModelDownloadDto,
  modelDownloadSchema,
  type ModelSelectionDto,
  modelSelectionSchema,
  type StartModelDownloadRequest,
  startModelDownloadRequestSchema,
} from '@switchboard/contracts';
import { AdminOnly, CurrentPrincipal } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { ZodBody, ZodResponse } from '../common/zod-openapi.decorators.js';
import { ModelNameParamPipe } from './model-name.pipe.js';
import { ModelsService } from './models.service.js';

const modelName = new ModelNameParamPipe();

@ApiTags('models')
@ApiBearerAuth()
@Controller('api/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  /** Configured, manifest and locally served models, with file state, memory fit and downloads. */
  @Get()
  @ZodResponse(200, modelCatalogueSchema, [401])
  list(): Promise<ModelCatalogueDto> {
    return this.models.catalogue();
  }

  @Get(':name')
  @ZodResponse(200, catalogueModelSchema, [401, 404])
  get(@Param('name', modelName) name: string): Promise<CatalogueModelDto> {
    return this.models.get(name);
  }

  /**
   * Accepted: a worker downloads the manifest model (resuming a partial file). Follow it with GET
   * /api/models/:name or the socket.io events model.download.progress, .completed and .failed.
   */
  @Post(':name/download')
  @AdminOnly()
  @HttpCode(202)
  @ZodResponse(202, modelDownloadSchema, [400, 401, 403, 404, 409, 503])
  download(@CurrentPrincipal() principal: Principal, @Param('name', modelName) name: string, @ZodBody(startModelDownloadRequestSchema) body: StartModelDownloadRequest): Promise<ModelDownloadDto> {
    return this.models.download(principal, name, body);
  }

  /** Cancels a queued or running download; a running one stops within a moment, its partial file kept. */
  @Delete(':name/download')
  @AdminOnly()
  @HttpCode(202)
  @ZodResponse(202, modelDownloadSchema, [401, 403, 404, 409, 503])
  cancel(@Param('name', modelName) name: string): Promise<ModelDownloadDto> {
    return this.models.cancelDownload(name);
  }

  @Post(':name/download/cancel')
  @AdminOnly()
  @HttpCode(202)
  @ZodResponse(202, modelDownloadSchema, [401, 403, 404, 409, 503])
  cancelByPost(@Param('name', modelName) name: string): Promise<ModelDownloadDto> {
    return this.models.cancelDownload(name);
  }

  /** Makes the model the default local model (first of the first llama-cpp provider) in the config file and in running workers. */
  @Post(':name/select')
  @AdminOnly()
  @HttpCode(200)
  @ZodResponse(200, modelSelectionSchema, [400, 401, 403, 404, 503])
  select(@Param('name', modelName) name: string): Promise<ModelSelectionDto> {
    return this.models.select(name);
  }
}
