// API keys: the dashboard's CRUD, the authenticator the guard and the proxy use, and the limiter.
// The invalidation bus and the counter store are bound here: with CODEX_LB_REDIS_URL set, the
// replicated bus and the Redis counters; without it, the in-process ones.
import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { ApiKeyAuthService } from './api-key-auth.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { KeyInvalidationBus, LocalKeyInvalidationBus, ReplicatedKeyInvalidationBus } from './key-invalidation';
import { ApiKeyLimiter } from './limits/api-key-limiter';
import { LimitCounterStore, MemoryLimitCounterStore } from './limits/limit-counter-store';
import { RedisLimitCounterStore } from './limits/redis-limit-counter-store';
import { RedisLink } from '../redis/redis-link';
import { ReplicaBus } from '../redis/replica-bus';
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
    {
      provide: KeyInvalidationBus,
      inject: [ReplicaBus],
      useFactory: (replicas: ReplicaBus) =>
        replicas.enabled ? new ReplicatedKeyInvalidationBus(replicas) : new LocalKeyInvalidationBus(),
    },
    {
      provide: LimitCounterStore,
      inject: [RedisLink],
      useFactory: (link: RedisLink) =>
        link.enabled ? new RedisLimitCounterStore(link.command) : new MemoryLimitCounterStore(),
    },
  ],
  exports: [ApiKeyAuthService, ApiKeyLimiter, ApiKeysService, KeyInvalidationBus],
})
export class ApiKeysModule {}
