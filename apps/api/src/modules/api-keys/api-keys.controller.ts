import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import type { ApiKeyDto, ApiKeySecretResponse, EffectiveAccountsResponse } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import { IdParam } from '../../common/validation';
import type { Principal } from '../../common/principal';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto, ListApiKeysQueryDto, UpdateApiKeyDto } from './dto/api-key.dto';

@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @RequirePermission('api-keys:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListApiKeysQueryDto): Promise<ApiKeyDto[]> {
    return this.apiKeys.list(principal, query);
  }

  @Post()
  @RequirePermission('api-keys:write')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateApiKeyDto): Promise<ApiKeySecretResponse> {
    return this.apiKeys.create(principal, dto);
  }

  @Get(':id')
  @RequirePermission('api-keys:read')
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<ApiKeyDto> {
    return this.apiKeys.get(principal, id);
  }

  /** Why the key may use each account, or why not (the router's own rule). */
  @Get(':id/effective-accounts')
  @RequirePermission('api-keys:read')
  effectiveAccounts(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
  ): Promise<EffectiveAccountsResponse> {
    return this.apiKeys.effectiveAccounts(principal, id);
  }

  @Patch(':id')
  @RequirePermission('api-keys:write')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateApiKeyDto,
  ): Promise<ApiKeyDto> {
    return this.apiKeys.update(principal, id, dto);
  }

  @Post(':id/regenerate')
  @HttpCode(200)
  @RequirePermission('api-keys:write')
  regenerate(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<ApiKeySecretResponse> {
    return this.apiKeys.regenerate(principal, id);
  }

  /** Revokes: the row stays (logs keep naming the key), the secret stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('api-keys:write')
  revoke(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.apiKeys.revoke(principal, id);
  }
}
