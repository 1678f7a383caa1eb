import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { AccountStateService } from './account-state.service';
import { AccountTokensService } from './account-tokens.service';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { OAuthController } from './oauth/oauth.controller';
import { OAuthFlowsRepository } from './oauth/oauth-flows.repository';
import { OAuthService } from './oauth/oauth.service';
import { QuotaPollerService } from './quota-poller.service';
import { UpstreamAuthClient } from './upstream-auth.client';

@Module({
  imports: [GroupsModule],
  controllers: [AccountsController, OAuthController],
  providers: [
    AccountsRepository,
    AccountsService,
    AccountStateService,
    AccountTokensService,
    UpstreamAuthClient,
    QuotaPollerService,
    OAuthFlowsRepository,
    OAuthService,
  ],
  // GroupsModule goes along: the proxy's pool reads its GroupIndex.
  exports: [AccountsRepository, AccountsService, AccountStateService, AccountTokensService, GroupsModule],
})
export class AccountsModule {}
