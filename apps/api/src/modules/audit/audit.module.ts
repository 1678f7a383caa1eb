// The audit log: global, so every module's services can record their mutations without importing
// it. Also answers every 403 a handler throws with an authz.denied event (the guard records its own).
import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller';
import { AuditReaderService } from './audit-reader.service';
import { AuditSealer } from './audit-sealer';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { DenialInterceptor } from './denial.interceptor';

@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditRepository,
    AuditService,
    AuditSealer,
    AuditReaderService,
    { provide: APP_INTERCEPTOR, useClass: DenialInterceptor },
  ],
  exports: [AuditService, AuditSealer],
})
export class AuditModule {}
