'use client';
// The Audit page (audit:read): who did what, newest first, with filters, cursor paging, the detail
// of one event, an NDJSON export of the filtered events and a check of the hash chain.
import { useMemo, useState } from 'react';
import type { AuditEventDto, AuditVerifyResult } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useAuditEvents, useAuditVerify } from '@/hooks/use-audit';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { errorMessage } from '@/lib/api-client';
import { EMPTY_AUDIT_FILTERS, auditApi, auditQuery, type AuditFilters } from '@/lib/api/audit';
import { formatDateTime, formatRelative } from '@/lib/format';
import { AuditEventDrawer } from './audit-event-drawer';
import { AuditFiltersBar } from './audit-filters';
import { OutcomeBadge, actorText, targetText } from './audit-format';

export function VerifyResult({ result }: { result: AuditVerifyResult }) {
  return result.ok ? (
    <Alert tone="success" title="Chain intact">
      {result.checked} events checked; none was edited or removed.
    </Alert>
  ) : (
    <Alert title="Chain broken">
      {result.checked} events checked. The first that does not match is{' '}
      <code className="font-mono text-xs">{result.firstBadId ?? 'unknown'}</code>: it or the one before it was edited or
      removed.
    </Alert>
  );
}

export function AuditView() {
  const [filters, setFilters] = useState<AuditFilters>(EMPTY_AUDIT_FILTERS);
  const settled = useDebouncedValue(filters, 300);
  const query = useMemo(() => auditQuery(settled), [settled]);
  const events = useAuditEvents(query);
  const verify = useAuditVerify();
  const [open, setOpen] = useState<AuditEventDto | null>(null);
  const list = events.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change and every refused attempt, newest first. Entries cannot be edited; the chain check shows if one was."
        actions={
          <>
            <a className={buttonClasses('outline')} href={auditApi.exportHref(query)} download>
              Export NDJSON
            </a>
            <Button variant="outline" busy={verify.isPending} onClick={() => verify.mutate()}>
              Verify chain
            </Button>
          </>
        }
      />
      <div aria-live="polite" className="mb-4 empty:hidden">
        {verify.data ? <VerifyResult result={verify.data} /> : null}
        {verify.isError ? <Alert>{errorMessage(verify.error)}</Alert> : null}
      </div>
      <AuditFiltersBar filters={filters} onChange={setFilters} />
      <QueryState query={events} feature="The audit log">
        {list.length === 0 ? (
          <EmptyState title="No events match" description="Change the filters or the time range." />
        ) : (
          <Card>
            <Table aria-label="Audit events">
              <thead>
                <tr>
                  <Th>Time</Th>
                  <Th>Actor</Th>
                  <Th>Action</Th>
                  <Th>Target</Th>
                  <Th>Outcome</Th>
                  <Th>IP</Th>
                  <Th className="text-right">
                    <span className="sr-only">Details</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {list.map((event) => (
                  <tr key={event.id} data-testid="audit-row">
                    <Td className="whitespace-nowrap text-zinc-600" title={formatDateTime(event.at)}>
                      {formatRelative(event.at)}
                    </Td>
                    <Td>
                      {event.actor.id ? (
                        <button
                          type="button"
                          className="text-left text-zinc-900 underline-offset-2 hover:underline"
                          title="Show only this actor"
                          onClick={() => setFilters((current) => ({ ...current, actorId: event.actor.id ?? '' }))}
                        >
                          {actorText(event)}
                        </button>
                      ) : (
                        <span className="text-zinc-500">{actorText(event)}</span>
                      )}
                    </Td>
                    <Td>
                      <code className="text-xs">{event.action}</code>
                    </Td>
                    <Td className="max-w-64 truncate text-zinc-700">{targetText(event) || '—'}</Td>
                    <Td>
                      <OutcomeBadge outcome={event.outcome} />
                    </Td>
                    <Td className="font-mono text-xs text-zinc-600">{event.ip ?? '—'}</Td>
                    <Td className="text-right">
                      <Button
                        size="sm"
                        variant="ghost"
                        onClick={() => setOpen(event)}
                        aria-label={`Details of ${event.action} at ${formatDateTime(event.at)}`}
                      >
                        Details
                      </Button>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {events.hasNextPage ? (
              <div className="border-t border-zinc-100 px-4 py-3 text-center">
                <Button
                  variant="outline"
                  size="sm"
                  busy={events.isFetchingNextPage}
                  onClick={() => void events.fetchNextPage()}
                >
                  Load more
                </Button>
              </div>
            ) : null}
          </Card>
        )}
      </QueryState>
      <AuditEventDrawer event={open} onClose={() => setOpen(null)} />
    </>
  );
}
