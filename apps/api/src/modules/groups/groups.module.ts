// Groups: CRUD and membership, and the in-memory GroupIndex the router's effective pool and the
// API's group scopes read. Imported by the accounts module (which re-exports it to the proxy).
import { Module } from '@nestjs/common';
import { GroupIndex } from './group-index';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';

@Module({
  controllers: [GroupsController],
  providers: [GroupsRepository, GroupIndex, GroupsService],
  exports: [GroupsRepository, GroupIndex, GroupsService],
})
export class GroupsModule {}
