'use client';
import type { ReactNode } from 'react';
import { Alert } from '@/components/ui/alert';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Dialog } from '@/components/ui/dialog';
import { useRequestLog } from '@/hooks/use-request-logs';
import { errorMessage } from '@/lib/api-client';
import { formatDateTime, formatDuration, formatNumber, formatUsd } from '@/lib/format';
import type { RequestLogDto, RequestLogStatus } from '@codex-lb/shared';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{label}</dt>
      <dd className="min-w-0 break-words text-zinc-900">{children ?? '—'}</dd>
    </>
  );
}

/** Cancelled means the client went away; that is not the gateway failing, so it is not red. */
export function statusTone(status: RequestLogStatus, httpStatus: number): BadgeTone {
  if (status === 'cancelled') return 'neutral';
  if (status === 'success') return 'green';
  return httpStatus === 429 ? 'amber' : 'red';
}

export const STATUS_LABELS: Record<RequestLogStatus, string> = {
  success: 'Succeeded',
  error: 'Failed',
  cancelled: 'Cancelled',
};

/** Unknown token counts are null (the upstream did not say); show a dash, not a zero. */
const tokens = (value: number | null) => (value === null ? null : formatNumber(value));

/** Full detail of one request; opens with the row's data and fills in from the detail endpoint. */
export function RequestLogDrawer({ summary, onClose }: { summary: RequestLogDto | null; onClose: () => void }) {
  const detail = useRequestLog(summary?.id ?? null);
  const log = detail.data ?? summary;
  return (
    <Dialog
      open={Boolean(summary)}
      onClose={onClose}
      variant="side"
      title="Request"
      description={log ? formatDateTime(log.requestedAt) : undefined}
    >
      {log ? (
        <div className="space-y-5">
          {detail.isError ? (
            <Alert tone="warning">Showing the list data only: {errorMessage(detail.error)}</Alert>
          ) : null}
          {log.errorCode ? <Alert title="Error">{log.errorCode}</Alert> : null}
          <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-2 text-sm">
            <Row label="Status">
              <Badge tone={statusTone(log.status, log.httpStatus)}>
                {STATUS_LABELS[log.status] ?? log.status} · {log.httpStatus}
              </Badge>
            </Row>
            <Row label="Route">
              <code className="font-mono text-xs">{log.route}</code>
            </Row>
            <Row label="Model">{log.model}</Row>
            <Row label="Streamed">{log.stream ? 'yes' : 'no'}</Row>
            <Row label="API key">{log.apiKeyName ?? log.apiKeyId}</Row>
            <Row label="Account">{log.accountLabel ?? log.accountId}</Row>
            {log.ownerUsername ? <Row label="Owner">{log.ownerUsername}</Row> : null}
            <Row label="Input tokens">{tokens(log.inputTokens)}</Row>
            <Row label="Cached input">{tokens(log.cachedInputTokens)}</Row>
            <Row label="Output tokens">{tokens(log.outputTokens)}</Row>
            <Row label="Reasoning tokens">{tokens(log.reasoningTokens)}</Row>
            <Row label="Cost">{log.costUsd === null ? null : formatUsd(log.costUsd)}</Row>
            <Row label="Latency">{formatDuration(log.latencyMs)}</Row>
            <Row label="Time to first byte">{formatDuration(log.ttfbMs)}</Row>
            <Row label="Client IP">{log.clientIp}</Row>
            <Row label="Client">{log.userAgent}</Row>
            <Row label="Session">{log.sessionId}</Row>
            <Row label="Request id">
              <code className="font-mono text-xs">{log.id}</code>
            </Row>
          </dl>
        </div>
      ) : null}
    </Dialog>
  );
}
