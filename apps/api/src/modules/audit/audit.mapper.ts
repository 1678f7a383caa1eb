// Audit rows to the DTO the API answers.
import type { AuditAction, AuditEventDto } from '@codex-lb/shared';
import type { AuditRow } from './audit.repository';

export function toAuditEventDto(row: AuditRow): AuditEventDto {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    action: row.action as AuditAction,
    outcome: row.outcome,
    actor: { id: row.actor_id, kind: row.actor_kind, label: row.actor_label },
    authMethod: row.auth_method,
    target: { type: row.target_type, id: row.target_id, label: row.target_label },
    reason: row.reason,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    changes: row.changes as AuditEventDto['changes'],
  };
}
