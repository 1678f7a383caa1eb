// SCIM provisioning: the admin API for SCIM tokens (/api/scim-tokens) and SCIM 2.0 itself
// (/scim/v2/Users and /scim/v2/Groups), authenticated by those tokens only.
import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { RolesModule } from '../roles/roles.module';
import { UsersModule } from '../users/users.module';
import { ScimTokenGuard } from './scim-auth.guard';
import { ScimController } from './scim.controller';
import { ScimGroupsRepository } from './scim-groups.repository';
import { ScimGroupsService } from './scim-groups.service';
import { ScimTokensController } from './scim-tokens.controller';
import { ScimTokensRepository } from './scim-tokens.repository';
import { ScimTokensService } from './scim-tokens.service';
import { ScimUsersRepository } from './scim-users.repository';
import { ScimUsersService } from './scim-users.service';

@Module({
  imports: [UsersModule, RolesModule, GroupsModule],
  controllers: [ScimTokensController, ScimController],
  providers: [
    ScimTokensRepository,
    ScimTokensService,
    ScimTokenGuard,
    ScimUsersRepository,
    ScimUsersService,
    ScimGroupsRepository,
    ScimGroupsService,
  ],
})
export class ScimModule {}
