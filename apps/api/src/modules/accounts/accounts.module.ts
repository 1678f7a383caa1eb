import { Module } from '@nestjs/common';
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
  exports: [AccountsRepository, AccountsService, AccountStateService, AccountTokensService],
})
export class AccountsModule {}
