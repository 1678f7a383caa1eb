import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import type { GroupDto, GroupMemberDto, ImpactDto } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { IdParam } from '../../common/validation';
import { CreateGroupDto, ImpactQueryDto, PutGroupMemberDto, UpdateGroupDto } from './dto/group.dto';
import { GroupsService } from './groups.service';

@Controller('api/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @RequirePermission('groups:read')
  list(@CurrentPrincipal() principal: Principal): Promise<{ items: GroupDto[] }> {
    return this.groups.list(principal);
  }

  /** The creator becomes the group's first owner. */
  @Post()
  @RequirePermission('groups:write')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateGroupDto): Promise<GroupDto> {
    return this.groups.create(principal, dto);
  }

  @Get(':id')
  @RequirePermission('groups:read')
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<GroupDto> {
    return this.groups.get(principal, id);
  }

  @Patch(':id')
  @RequirePermission('groups:write')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateGroupDto,
  ): Promise<GroupDto> {
    return this.groups.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('groups:write')
  delete(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.groups.delete(principal, id);
  }

  @Get(':id/members')
  @RequirePermission('groups:read')
  members(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<{ items: GroupMemberDto[] }> {
    return this.groups.members(principal, id);
  }

  @Put(':id/members/:principalId')
  @RequirePermission('groups:write')
  putMember(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IdParam('principalId') principalId: string,
    @Body() dto: PutGroupMemberDto,
  ): Promise<GroupMemberDto> {
    return this.groups.putMember(principal, id, principalId, dto.role);
  }

  @Delete(':id/members/:principalId')
  @HttpCode(204)
  @RequirePermission('groups:write')
  removeMember(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IdParam('principalId') principalId: string,
  ): Promise<void> {
    return this.groups.removeMember(principal, id, principalId);
  }

  /** Which keys would lose which accounts if the member were removed. */
  @Get(':id/impact')
  @RequirePermission('groups:read')
  impact(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Query() query: ImpactQueryDto,
  ): Promise<ImpactDto> {
    return this.groups.impact(principal, id, query.removeMember);
  }
}
