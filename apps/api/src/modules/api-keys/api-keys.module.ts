// API keys: the dashboard's CRUD, the authenticator the guard and the proxy use, and the limiter.
// The invalidation bus and the counter store are bound here, so a multi-replica build swaps in
// Redis implementations in this one place.
import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { ApiKeyAuthService } from './api-key-auth.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { KeyInvalidationBus, LocalKeyInvalidationBus } from './key-invalidation';
import { ApiKeyLimiter } from './limits/api-key-limiter';
import { LimitCounterStore, MemoryLimitCounterStore } from './limits/limit-counter-store';
import { KeyUsageRecorder } from './limits/usage-recorder';

@Module({
  // The group index decides which keys a user reads through their groups.
  imports: [GroupsModule],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyAuthService,
    ApiKeyLimiter,
    KeyUsageRecorder,
    { provide: KeyInvalidationBus, useClass: LocalKeyInvalidationBus },
    { provide: LimitCounterStore, useClass: MemoryLimitCounterStore },
  ],
  exports: [ApiKeyAuthService, ApiKeyLimiter, ApiKeysService],
})
export class ApiKeysModule {}
