import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UsageModule } from '../usage/usage.module';
import { AccountPool } from './routing/account-pool';
import { ModelsService } from './models.service';
import { ProxyHttp } from './proxy-http';
import { ProxyRoutes } from './proxy-routes.service';
import { ProxyService } from './proxy.service';
import { StreamRevocation } from './stream-revocation';
import { SharedStickiness } from './routing/shared-bindings';
import { SharedConcurrency } from './admission/shared-slots';
import { UpstreamClient } from './upstream/upstream.client';
import { UsageMeter } from './metering/usage-meter';
import { ProxyWebSockets } from './websocket/proxy-websockets';

@Module({
  imports: [AccountsModule, ApiKeysModule, UsageModule],
  providers: [
    AccountPool,
    ProxyService,
    ProxyRoutes,
    ProxyHttp,
    ProxyWebSockets,
    ModelsService,
    UpstreamClient,
    UsageMeter,
    StreamRevocation,
    SharedStickiness,
    SharedConcurrency,
  ],
  exports: [AccountPool],
})
export class ProxyModule {}
