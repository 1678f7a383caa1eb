// GET /api/permissions and /api/roles (CRUD, holders). Reading needs roles:read; creating,
// changing and deleting custom roles needs roles:manage (never reachable through an API key).
import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import type { PermissionDto, RoleDto, RoleHolderDto } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { IdParam } from '../../common/validation';
import { CreateRoleDto, HoldersQueryDto, UpdateRoleDto } from './dto/role.dto';
import { RolesService } from './roles.service';

@Controller('api')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get('permissions')
  @RequirePermission('roles:read')
  permissions(): Promise<{ items: PermissionDto[] }> {
    return this.roles.permissions();
  }

  @Get('roles')
  @RequirePermission('roles:read')
  list(): Promise<{ items: RoleDto[] }> {
    return this.roles.list();
  }

  @Post('roles')
  @RequirePermission('roles:manage')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateRoleDto): Promise<RoleDto> {
    return this.roles.create(principal, dto);
  }

  @Get('roles/:id')
  @RequirePermission('roles:read')
  get(@IdParam() id: string): Promise<RoleDto> {
    return this.roles.get(id);
  }

  @Get('roles/:id/holders')
  @RequirePermission('roles:read')
  holders(@IdParam() id: string, @Query() query: HoldersQueryDto): Promise<{ items: RoleHolderDto[]; total: number }> {
    return this.roles.holders(id, query);
  }

  @Patch('roles/:id')
  @RequirePermission('roles:manage')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateRoleDto,
  ): Promise<RoleDto> {
    return this.roles.update(principal, id, dto);
  }

  @Delete('roles/:id')
  @HttpCode(204)
  @RequirePermission('roles:manage')
  delete(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.roles.delete(principal, id);
  }
}
