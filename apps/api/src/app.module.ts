import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccessGuard } from './common/access.guard';
import { AccessLogModule } from './common/logging/access-log.module';
import { TokenVault } from './common/crypto/token-vault';
import { DomainEvents } from './common/events';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { WriteBehindModule } from './common/write-behind/write-behind.module';
import { SETTINGS, type Settings } from './config/settings';
import { AccountsModule } from './modules/accounts/accounts.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { GroupsModule } from './modules/groups/groups.module';
import { HealthModule } from './modules/health/health.module';
import { IdentityModule } from './modules/identity/identity.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { DocsModule } from './modules/docs/docs.module';
import { UsageModule } from './modules/usage/usage.module';
import { ProxyModule } from './modules/proxy/proxy.module';
import { RedisModule } from './modules/redis/redis.module';
import { RedisLink } from './modules/redis/redis-link';
import { RedisThrottlerStorage } from './modules/redis/redis-throttler-storage';
import { ScimModule } from './modules/scim/scim.module';
import { ServiceAccountsModule } from './modules/service-accounts/service-accounts.module';
import { UsersModule } from './modules/users/users.module';

@Global()
@Module({})
class CoreModule {
  static forRoot(settings: Settings, vault: TokenVault): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: SETTINGS, useValue: settings }, { provide: TokenVault, useValue: vault }, DomainEvents],
      exports: [SETTINGS, TokenVault, DomainEvents],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(settings: Settings, dataSource: DataSource, vault: TokenVault): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(settings, vault),
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSource.options,
          dataSourceFactory: async () => dataSource,
        }),
        // With Redis the throttle counts across replicas (redis-throttler-storage.ts).
        ThrottlerModule.forRootAsync({
          inject: [RedisLink],
          useFactory: (redis: RedisLink) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: settings.loginRateLimitPerMinute }],
            ...(redis.enabled ? { storage: new RedisThrottlerStorage(redis) } : {}),
          }),
        }),
        RedisModule,
        AuditModule,
        AuthModule,
        IdentityModule,
        UsersModule,
        AccountsModule,
        GroupsModule,
        ProxyModule,
        ApiKeysModule,
        UsageModule,
        ServiceAccountsModule,
        WriteBehindModule,
        HealthModule,
        MetricsModule,
        AccessLogModule,
        DocsModule,
        ScimModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
