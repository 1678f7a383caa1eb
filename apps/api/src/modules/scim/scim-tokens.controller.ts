// /api/scim-tokens: the bearer tokens a company directory provisions users and groups with.
// Every route needs scim-tokens:manage (admins; never through an API key).
import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import type { CreatedScimTokenDto, ScimTokenDto } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { IdParam } from '../../common/validation';
import { CreateScimTokenDto } from './dto/scim-token.dto';
import { ScimTokensService } from './scim-tokens.service';

@Controller('api/scim-tokens')
export class ScimTokensController {
  constructor(private readonly tokens: ScimTokensService) {}

  @Get()
  @RequirePermission('scim-tokens:manage')
  list(): Promise<{ items: ScimTokenDto[] }> {
    return this.tokens.list();
  }

  /** The token is in this answer only. */
  @Post()
  @RequirePermission('scim-tokens:manage')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateScimTokenDto): Promise<CreatedScimTokenDto> {
    return this.tokens.create(principal, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('scim-tokens:manage')
  revoke(@IdParam() id: string): Promise<void> {
    return this.tokens.revoke(id);
  }
}
