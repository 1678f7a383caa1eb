// Service accounts: principals with no password that belong to a group (or the admins) and hold
// keys drawing on its pool. Deleting a group disables its service accounts: the groups module
// calls disableServiceAccountsOfGroup (service-accounts.repository.ts) in its delete transaction.
import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { GroupsModule } from '../groups/groups.module';
import { ServiceAccountsController } from './service-accounts.controller';
import { ServiceAccountsRepository } from './service-accounts.repository';
import { ServiceAccountsService } from './service-accounts.service';

@Module({
  imports: [ApiKeysModule, GroupsModule],
  controllers: [ServiceAccountsController],
  providers: [ServiceAccountsRepository, ServiceAccountsService],
  exports: [ServiceAccountsService],
})
export class ServiceAccountsModule {}
