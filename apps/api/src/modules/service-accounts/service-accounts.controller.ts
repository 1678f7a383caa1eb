import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import type {
  ApiKeySecretResponse,
  ServiceAccountDto,
  ServiceAccountKeysResponse,
  ServiceAccountPage,
} from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { IdParam } from '../../common/validation';
import {
  CreateServiceAccountDto,
  CreateServiceAccountKeyDto,
  ListServiceAccountsQueryDto,
  UpdateServiceAccountDto,
} from './dto/service-account.dto';
import { ServiceAccountsService } from './service-accounts.service';

@Controller('api/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccountsService) {}

  @Get()
  @RequirePermission('service-accounts:read')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListServiceAccountsQueryDto,
  ): Promise<ServiceAccountPage> {
    return this.accounts.list(principal, query);
  }

  @Post()
  @RequirePermission('service-accounts:write')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateServiceAccountDto): Promise<ServiceAccountDto> {
    return this.accounts.create(principal, dto);
  }

  @Get(':id')
  @RequirePermission('service-accounts:read')
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<ServiceAccountDto> {
    return this.accounts.get(principal, id);
  }

  @Patch(':id')
  @RequirePermission('service-accounts:write')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateServiceAccountDto,
  ): Promise<ServiceAccountDto> {
    return this.accounts.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('service-accounts:write')
  delete(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.accounts.delete(principal, id);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequirePermission('service-accounts:write')
  disable(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<ServiceAccountDto> {
    return this.accounts.disable(principal, id);
  }

  @Get(':id/keys')
  @RequirePermission('service-accounts:read')
  listKeys(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<ServiceAccountKeysResponse> {
    return this.accounts.listKeys(principal, id);
  }

  @Post(':id/keys')
  @RequirePermission('service-accounts:write')
  createKey(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: CreateServiceAccountKeyDto,
  ): Promise<ApiKeySecretResponse> {
    return this.accounts.createKey(principal, id, dto);
  }
}
