// Plain words for an audit event's parts, shared by the table and the detail drawer.
import type { AuditEventDto, AuditOutcome } from '@codex-lb/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';

const OUTCOME_TONES: Record<AuditOutcome, BadgeTone> = { success: 'green', denied: 'amber', failed: 'red' };

export function OutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  return <Badge tone={OUTCOME_TONES[outcome] ?? 'neutral'}>{outcome}</Badge>;
}

export function actorText(event: Pick<AuditEventDto, 'actor'>): string {
  const { kind, label, id } = event.actor;
  if (kind === 'anonymous') return 'anonymous';
  if (kind === 'system') return 'system';
  const name = label ?? id ?? 'unknown';
  return kind === 'service' ? `${name} (service account)` : name;
}

export function targetText(event: Pick<AuditEventDto, 'target'>): string {
  const { type, label, id } = event.target;
  if (!type && !label && !id) return '';
  const name = label ?? (id ? id.slice(0, 8) : '');
  return [type, name].filter(Boolean).join(': ');
}
