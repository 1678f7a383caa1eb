// Company sign-in over OpenID Connect: identity providers and their mappings and invitations, the
// sign-in and linking flows, the caller's linked identities, and the local-login policy's settings.
import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { GroupsModule } from '../groups/groups.module';
import { RolesModule } from '../roles/roles.module';
import { UsersModule } from '../users/users.module';
import { AuthSettingsService } from './auth-settings.service';
import { IdentitiesRepository } from './identities.repository';
import {
  AuthSettingsController,
  IdentityProvidersController,
  MyIdentitiesController,
  OidcController,
} from './identity.controller';
import { IdentityProvidersRepository } from './identity-providers.repository';
import { IdentityProvidersService } from './identity-providers.service';
import { MyIdentitiesService } from './my-identities.service';
import { OidcClient } from './oidc-client';
import { OidcSignInService } from './oidc-sign-in.service';

@Module({
  imports: [AuthModule, GroupsModule, RolesModule, UsersModule],
  controllers: [IdentityProvidersController, AuthSettingsController, OidcController, MyIdentitiesController],
  providers: [
    AuthSettingsService,
    IdentitiesRepository,
    IdentityProvidersRepository,
    IdentityProvidersService,
    MyIdentitiesService,
    OidcClient,
    OidcSignInService,
  ],
})
export class IdentityModule {}
