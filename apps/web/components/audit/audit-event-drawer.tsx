'use client';
// One audit event in full: who, how they signed in, from where, and the changed fields before and
// after (the API never includes secrets).
import type { ReactNode } from 'react';
import type { AuditEventDto } from '@codex-lb/shared';
import { Dialog } from '@/components/ui/dialog';
import { formatDateTime } from '@/lib/format';
import { OutcomeBadge, actorText, targetText } from './audit-format';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0 break-words text-zinc-900">{children || '—'}</dd>
    </>
  );
}

/** The fields that changed, one line each: before → after. */
export function changedFields(
  changes: AuditEventDto['changes'],
): Array<{ field: string; before: string; after: string }> {
  if (!changes) return [];
  const before = changes.before ?? {};
  const after = changes.after ?? {};
  const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].map((field) => ({
    field,
    before: show(before[field]),
    after: show(after[field]),
  }));
}

export function AuditEventDrawer({ event, onClose }: { event: AuditEventDto | null; onClose: () => void }) {
  const fields = changedFields(event?.changes ?? null);
  return (
    <Dialog
      open={Boolean(event)}
      onClose={onClose}
      variant="side"
      title={event ? event.action : 'Event'}
      description={event ? formatDateTime(event.at) : undefined}
    >
      {event ? (
        <div className="space-y-5">
          <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-2 text-sm">
            <Row label="Outcome">
              <OutcomeBadge outcome={event.outcome} />
            </Row>
            <Row label="Actor">{actorText(event)}</Row>
            <Row label="Actor id">{event.actor.id ? <code className="text-xs">{event.actor.id}</code> : null}</Row>
            <Row label="Signed in with">{event.authMethod}</Row>
            <Row label="Target">{targetText(event)}</Row>
            <Row label="Target id">{event.target.id ? <code className="text-xs">{event.target.id}</code> : null}</Row>
            <Row label="Reason">{event.reason}</Row>
            <Row label="IP">{event.ip}</Row>
            <Row label="User agent">{event.userAgent}</Row>
            <Row label="Request id">{event.requestId ? <code className="text-xs">{event.requestId}</code> : null}</Row>
            <Row label="Event id">
              <code className="text-xs">{event.id}</code>
            </Row>
          </dl>
          <section>
            <h3 className="mb-2 text-sm font-semibold text-zinc-900">Changes</h3>
            {fields.length ? (
              <table className="w-full text-left text-xs" aria-label="Changes">
                <thead className="text-zinc-500">
                  <tr>
                    <th className="py-1 pr-2 font-medium">Field</th>
                    <th className="py-1 pr-2 font-medium">Before</th>
                    <th className="py-1 font-medium">After</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100 font-mono">
                  {fields.map((row) => (
                    <tr key={row.field}>
                      <td className="py-1 pr-2 align-top">{row.field}</td>
                      <td className="py-1 pr-2 align-top break-all text-red-700">{row.before}</td>
                      <td className="py-1 align-top break-all text-emerald-700">{row.after}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="text-sm text-zinc-500">
                {event.changes?.count
                  ? `${event.changes.count} similar events folded into this one.`
                  : 'No field changes recorded.'}
              </p>
            )}
          </section>
        </div>
      ) : null}
    </Dialog>
  );
}
