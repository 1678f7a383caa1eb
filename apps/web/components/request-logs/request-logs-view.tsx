'use client';
import { useMemo, useState } from 'react';
import { useCan } from '@/components/session-provider';
import { Badge } from '@/components/ui/badge';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useDebouncedValue } from '@/hooks/use-debounced-value';
import { useRequestLogs } from '@/hooks/use-request-logs';
import { requestLogsApi } from '@/lib/api/usage';
import { formatDateTime, formatDuration, formatNumber, formatUsd } from '@/lib/format';
import type { RequestLogDto } from '@codex-lb/shared';
import type { RequestLogFilters } from '@/lib/api/usage';
import { RequestLogDrawer, STATUS_LABELS, statusTone } from './request-log-drawer';
import { filtersForPeriod, RequestLogFiltersBar, type LogPeriod } from './request-log-filters';

const PAGE_SIZE = 50;

export function RequestLogsView() {
  const seesAllOwners = useCan('owners:all');
  const [period, setPeriod] = useState<LogPeriod>('7d');
  const [filters, setFilters] = useState<RequestLogFilters>(() => ({ ...filtersForPeriod('7d'), limit: PAGE_SIZE }));
  const settled = useDebouncedValue(filters);
  const logs = useRequestLogs(settled);
  const [open, setOpen] = useState<RequestLogDto | null>(null);
  const rows = useMemo(() => logs.data?.pages.flatMap((page) => page.items) ?? [], [logs.data]);
  const filtered = Boolean(
    filters.model || filters.status || filters.apiKeyId || filters.accountId || filters.ownerId || filters.groupId,
  );

  return (
    <>
      <PageHeader
        title="Request logs"
        description="Every request made with your API keys, newest first."
        actions={
          <a
            className={buttonClasses('outline')}
            href={requestLogsApi.exportUrl({ ...settled, limit: undefined })}
            download
          >
            Export CSV
          </a>
        }
      />
      <RequestLogFiltersBar
        period={period}
        filters={filters}
        seesAllOwners={seesAllOwners}
        onPeriod={(next) => {
          setPeriod(next);
          setFilters((current) => ({ ...current, ...filtersForPeriod(next) }));
        }}
        onChange={(patch) => setFilters((current) => ({ ...current, ...patch }))}
      />
      <QueryState query={logs} feature="Request logs">
        {rows.length === 0 ? (
          <EmptyState
            title={filtered ? 'No requests match these filters' : 'No requests in this period'}
            description={
              filtered
                ? 'Clear a filter or pick a longer period.'
                : 'Point Codex CLI or another client at codex-lb with one of your API keys; each request appears here.'
            }
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Time</Th>
                  {seesAllOwners ? <Th>Owner</Th> : null}
                  <Th>Key</Th>
                  <Th>Account</Th>
                  <Th>Model</Th>
                  <Th>Status</Th>
                  <Th className="text-right">Tokens in / out</Th>
                  <Th className="text-right">Cost</Th>
                  <Th className="text-right">Latency</Th>
                </tr>
              </thead>
              <tbody>
                {rows.map((log) => (
                  <tr key={log.id} className="hover:bg-zinc-50">
                    <Td>
                      {/* The time opens the detail: a real button so it is reachable by keyboard. */}
                      <button
                        type="button"
                        className="rounded text-left font-medium text-indigo-700 hover:underline"
                        onClick={() => setOpen(log)}
                      >
                        {formatDateTime(log.requestedAt)}
                      </button>
                    </Td>
                    {seesAllOwners ? <Td className="text-zinc-700">{log.ownerUsername ?? '—'}</Td> : null}
                    <Td className="text-zinc-700">{log.apiKeyName ?? '—'}</Td>
                    <Td className="max-w-48 truncate text-zinc-700">{log.accountLabel ?? '—'}</Td>
                    <Td className="font-mono text-xs">{log.model ?? '—'}</Td>
                    <Td>
                      <span title={STATUS_LABELS[log.status]}>
                        <Badge tone={statusTone(log.status, log.httpStatus)}>{log.httpStatus}</Badge>
                      </span>
                    </Td>
                    <Td className="text-right tabular-nums">
                      {log.inputTokens === null ? '—' : formatNumber(log.inputTokens)} /{' '}
                      {log.outputTokens === null ? '—' : formatNumber(log.outputTokens)}
                    </Td>
                    <Td className="text-right tabular-nums">{log.costUsd === null ? '—' : formatUsd(log.costUsd)}</Td>
                    <Td className="text-right tabular-nums">{formatDuration(log.latencyMs)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <div className="flex items-center justify-between border-t border-zinc-100 px-4 py-3 text-sm text-zinc-600">
              <span>{rows.length} shown</span>
              {logs.hasNextPage ? (
                <Button size="sm" variant="outline" onClick={() => logs.fetchNextPage()} busy={logs.isFetchingNextPage}>
                  Load more
                </Button>
              ) : (
                <span>End of results</span>
              )}
            </div>
          </Card>
        )}
      </QueryState>
      <RequestLogDrawer summary={open} onClose={() => setOpen(null)} />
    </>
  );
}
