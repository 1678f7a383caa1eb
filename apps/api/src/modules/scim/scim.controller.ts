// SCIM 2.0 (RFC 7644) at /scim/v2 on the API port: Users and Groups, and the discovery documents
// directories read first. Authenticated only by a SCIM token (@ScimTokenAuth: see
// scim-auth.guard.ts), answered in application/scim+json, errors in SCIM's shape. Bodies are
// taken as they come (SCIM's attribute names are case-insensitive URN-keyed JSON) and checked by
// scim-input.ts in the services.
import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CredentialActor } from '../audit/audit.types';
import { ScimActor, ScimBaseUrl, ScimTokenAuth } from './scim-auth.guard';
import { SCIM_CONTENT_TYPE } from './scim-error';
import { ScimGroupsService } from './scim-groups.service';
import type { ScimGroupResource, ScimListResponse, ScimUserResource } from './scim-resources';
import { ScimUsersService } from './scim-users.service';
import { serviceProviderConfig, resourceTypes } from './scim-discovery';
import { excludesMembers } from './scim-input';

@Controller('scim/v2')
@ScimTokenAuth()
export class ScimController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
  ) {}

  @Get('ServiceProviderConfig')
  @Header('content-type', SCIM_CONTENT_TYPE)
  serviceProviderConfig(@ScimBaseUrl() base: string) {
    return serviceProviderConfig(base);
  }

  @Get('ResourceTypes')
  @Header('content-type', SCIM_CONTENT_TYPE)
  resourceTypes(@ScimBaseUrl() base: string) {
    return resourceTypes(base);
  }

  @Get('Users')
  @Header('content-type', SCIM_CONTENT_TYPE)
  listUsers(@Query() query: unknown, @ScimBaseUrl() base: string): Promise<ScimListResponse<ScimUserResource>> {
    return this.users.list(query, base);
  }

  @Post('Users')
  @Header('content-type', SCIM_CONTENT_TYPE)
  async createUser(
    @ScimActor() actor: CredentialActor,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ScimUserResource> {
    const user = await this.users.create(actor, body, base);
    reply.header('location', user.meta.location);
    return user;
  }

  @Get('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  getUser(@Param('id') id: string, @ScimBaseUrl() base: string): Promise<ScimUserResource> {
    return this.users.get(id, base);
  }

  @Put('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  replaceUser(
    @ScimActor() actor: CredentialActor,
    @Param('id') id: string,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
  ): Promise<ScimUserResource> {
    return this.users.replace(actor, id, body, base);
  }

  @Patch('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  patchUser(
    @ScimActor() actor: CredentialActor,
    @Param('id') id: string,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
  ): Promise<ScimUserResource> {
    return this.users.patch(actor, id, body, base);
  }

  @Delete('Users/:id')
  @HttpCode(204)
  deleteUser(@ScimActor() actor: CredentialActor, @Param('id') id: string): Promise<void> {
    return this.users.delete(actor, id);
  }

  @Get('Groups')
  @Header('content-type', SCIM_CONTENT_TYPE)
  listGroups(@Query() query: unknown, @ScimBaseUrl() base: string): Promise<ScimListResponse<ScimGroupResource>> {
    return this.groups.list(query, base);
  }

  @Post('Groups')
  @Header('content-type', SCIM_CONTENT_TYPE)
  async createGroup(
    @ScimActor() actor: CredentialActor,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ScimGroupResource> {
    const group = await this.groups.create(actor, body, base);
    reply.header('location', group.meta.location);
    return group;
  }

  @Get('Groups/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  getGroup(@Param('id') id: string, @Query() query: unknown, @ScimBaseUrl() base: string): Promise<ScimGroupResource> {
    return this.groups.get(id, base, excludesMembers(query));
  }

  @Put('Groups/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  replaceGroup(
    @ScimActor() actor: CredentialActor,
    @Param('id') id: string,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
  ): Promise<ScimGroupResource> {
    return this.groups.replace(actor, id, body, base);
  }

  @Patch('Groups/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  patchGroup(
    @ScimActor() actor: CredentialActor,
    @Param('id') id: string,
    @Body() body: unknown,
    @ScimBaseUrl() base: string,
  ): Promise<ScimGroupResource> {
    return this.groups.patch(actor, id, body, base);
  }

  @Delete('Groups/:id')
  @HttpCode(204)
  deleteGroup(@ScimActor() actor: CredentialActor, @Param('id') id: string): Promise<void> {
    return this.groups.delete(actor, id);
  }
}
