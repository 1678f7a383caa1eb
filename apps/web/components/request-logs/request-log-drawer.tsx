'use client';
import type { ReactNode } from 'react';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Dialog } from '@/components/ui/dialog';
import { useRequestLog } from '@/hooks/use-request-logs';
import { errorMessage } from '@/lib/api-client';
import { formatDateTime, formatDuration, formatNumber, formatUsd } from '@/lib/format';
import type { RequestLogDto } from '@/lib/types';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0 break-words text-zinc-900">{children ?? '—'}</dd>
    </>
  );
}

export function statusTone(code: number) {
  return code >= 200 && code < 400 ? 'green' : code === 429 ? 'amber' : 'red';
}

/** Full detail of one request; opens with the row's data and fills in from the detail endpoint. */
export function RequestLogDrawer({ summary, onClose }: { summary: RequestLogDto | null; onClose: () => void }) {
  const detail = useRequestLog(summary?.id ?? null);
  const log = detail.data ?? summary;
  return (
    <Dialog open={Boolean(summary)} onClose={onClose} variant="side" title="Request" description={log ? formatDateTime(log.createdAt) : undefined}>
      {log ? (
        <div className="space-y-5">
          {detail.isError ? <Alert tone="warning">Showing the list data only: {errorMessage(detail.error)}</Alert> : null}
          {log.errorMessage || log.errorCode ? (
            <Alert title={log.errorCode ?? 'Error'}>{log.errorMessage ?? 'The request failed.'}</Alert>
          ) : null}
          <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-2 text-sm">
            <Row label="Status">
              <Badge tone={statusTone(log.statusCode)}>{log.statusCode}</Badge>
            </Row>
            <Row label="Endpoint">
              <code className="font-mono text-xs">{log.endpoint}</code>
            </Row>
            <Row label="Model">{log.model}</Row>
            <Row label="Streamed">{log.stream === undefined ? null : log.stream ? 'yes' : 'no'}</Row>
            <Row label="API key">{log.apiKeyName ?? log.apiKeyId}</Row>
            <Row label="Account">{log.accountEmail ?? log.accountId}</Row>
            {log.ownerUsername ? <Row label="Owner">{log.ownerUsername}</Row> : null}
            <Row label="Input tokens">{formatNumber(log.inputTokens)}</Row>
            <Row label="Cached input">{log.cachedInputTokens === undefined ? null : formatNumber(log.cachedInputTokens)}</Row>
            <Row label="Output tokens">{formatNumber(log.outputTokens)}</Row>
            <Row label="Reasoning tokens">{log.reasoningTokens === undefined ? null : formatNumber(log.reasoningTokens)}</Row>
            <Row label="Cost">{formatUsd(log.costUsd)}</Row>
            <Row label="Latency">{formatDuration(log.latencyMs)}</Row>
            <Row label="Time to first byte">{formatDuration(log.ttfbMs)}</Row>
            <Row label="Client IP">{log.clientIp}</Row>
            <Row label="Client">{log.userAgent}</Row>
            <Row label="Request id">
              <code className="font-mono text-xs">{log.requestId ?? log.id}</code>
            </Row>
          </dl>
        </div>
      ) : null}
    </Dialog>
  );
}
