// Roles and the permission vocabulary: the /api/roles and /api/permissions routes, and the
// RolePolicy the users module applies when it assigns a role.
import { Module } from '@nestjs/common';
import { RolePolicy } from './role-policy';
import { RolesController } from './roles.controller';
import { RolesRepository } from './roles.repository';
import { RolesService } from './roles.service';

@Module({
  controllers: [RolesController],
  providers: [RolesRepository, RolePolicy, RolesService],
  exports: [RolesRepository, RolePolicy],
})
export class RolesModule {}
