// The audit log's write side: record() writes one row in the caller's transaction, recordSoon()
// queues floods (denials, failed logins) to be written in deduplicated batches.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditInput } from './audit.types';

export type { AuditInput } from './audit.types';

@Injectable()
export class AuditService {
  async record(_manager: EntityManager, _event: AuditInput): Promise<void> {
    // Filled in with the audit_events table.
  }

  recordSoon(_event: AuditInput): void {
    // Filled in with the audit_events table.
  }
}
