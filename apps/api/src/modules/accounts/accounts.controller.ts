import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountDto, ShareAccountResponse } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import { IdParam } from '../../common/validation';
import type { Principal } from '../../common/principal';
import { AccountsService } from './accounts.service';
import { readImportPayload } from './auth-json';
import { OwnerQueryDto, ReassignOwnerDto, UpdateAccountDto } from './dto/account.dto';

@Controller('api/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @RequirePermission('accounts:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: OwnerQueryDto): Promise<AccountDto[]> {
    return this.accounts.list(principal, query.ownerId);
  }

  /** A Codex CLI auth.json, as multipart field `auth_json` or as the JSON body itself. */
  @Post('import')
  @RequirePermission('accounts:write')
  async import(
    @CurrentPrincipal() principal: Principal,
    @Query() query: OwnerQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountDto> {
    const { account, created } = await this.accounts.importAuthJson(
      principal,
      await readImportPayload(request),
      query.ownerId,
    );
    reply.status(created ? 201 : 200);
    return account;
  }

  @Get(':id')
  @RequirePermission('accounts:read')
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<AccountDto> {
    return this.accounts.get(principal, id);
  }

  @Patch(':id')
  @RequirePermission('accounts:write')
  rename(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateAccountDto,
  ): Promise<AccountDto> {
    return this.accounts.rename(principal, id, dto.alias);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequirePermission('accounts:write')
  pause(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<AccountDto> {
    return this.accounts.pause(principal, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission('accounts:write')
  resume(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<AccountDto> {
    return this.accounts.resume(principal, id);
  }

  @Post(':id/refresh-usage')
  @HttpCode(200)
  @RequirePermission('accounts:write')
  refreshUsage(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<AccountDto> {
    return this.accounts.refreshUsage(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('accounts:write')
  delete(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.accounts.delete(principal, id);
  }

  /** Admins move any account; its owner may move it into a group they own. */
  @Patch(':id/owner')
  @RequirePermission('accounts:write')
  reassign(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: ReassignOwnerDto,
  ): Promise<AccountDto> {
    return this.accounts.moveOwner(principal, id, { userId: dto.userId ?? dto.ownerId, groupId: dto.groupId });
  }

  /** Shares the account into a group its owner belongs to as member or owner. */
  @Put(':id/shares/:groupId')
  @RequirePermission('accounts:write')
  share(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IdParam('groupId') groupId: string,
  ): Promise<ShareAccountResponse> {
    return this.accounts.share(principal, id, groupId);
  }

  @Delete(':id/shares/:groupId')
  @HttpCode(204)
  @RequirePermission('accounts:write')
  unshare(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IdParam('groupId') groupId: string,
  ): Promise<void> {
    return this.accounts.unshare(principal, id, groupId);
  }
}
