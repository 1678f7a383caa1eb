// Shared state for several replicas (CODEX_LB_REDIS_URL): the connections, the invalidation bus
// and the once-only job leases. Global, so any module can ask whether Redis is configured; with
// the setting unset every provider here is inert and creates no connection.
import { Global, Module } from '@nestjs/common';
import { JobLeases } from './job-lease';
import { RedisLink } from './redis-link';
import { ReplicaBus } from './replica-bus';

@Global()
@Module({
  providers: [RedisLink, ReplicaBus, JobLeases],
  exports: [RedisLink, ReplicaBus, JobLeases],
})
export class RedisModule {}
