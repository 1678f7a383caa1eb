// Request logs, usage rollups and the overview. Exports RequestLogWriter, which the proxy calls
// once per request.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';
import { LogRetentionService } from './log-retention.service';
import { RequestLogWriter } from './request-log.writer';
import { RequestLogsController } from './request-logs.controller';
import { RequestLogsRepository } from './request-logs.repository';
import { RequestLogsService } from './request-logs.service';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  imports: [AccountsModule, ApiKeysModule],
  controllers: [RequestLogsController, UsageController, DashboardController],
  providers: [
    RequestLogsRepository,
    RequestLogWriter,
    RequestLogsService,
    UsageRepository,
    UsageService,
    DashboardService,
    LogRetentionService,
  ],
  exports: [RequestLogWriter],
})
export class UsageModule {}
