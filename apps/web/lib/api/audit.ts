// The audit log's endpoints. Shapes come from the shared library; the filter state is the page's.
import type { AuditEventDto, AuditPage, AuditQuery, AuditVerifyResult } from '@codex-lb/shared';
import { apiRequest, buildQuery } from '@/lib/api-client';

/** The filter bar's state: every field a string, '' meaning "any". */
export interface AuditFilters {
  actorId: string;
  action: string;
  targetType: string;
  outcome: string;
  /** datetime-local values (the browser's time zone), turned into ISO times for the API. */
  from: string;
  to: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = {
  actorId: '',
  action: '',
  targetType: '',
  outcome: '',
  from: '',
  to: '',
};

const isoOf = (local: string) => {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
};

/** The API query for the filters: empty fields left out, local times as ISO. */
export function auditQuery(filters: AuditFilters): AuditQuery {
  const query: AuditQuery = {};
  if (filters.actorId.trim()) query.actorId = filters.actorId.trim();
  if (filters.action) query.action = filters.action as AuditQuery['action'];
  if (filters.targetType.trim()) query.targetType = filters.targetType.trim();
  if (filters.outcome) query.outcome = filters.outcome as AuditQuery['outcome'];
  const from = isoOf(filters.from);
  const to = isoOf(filters.to);
  if (from) query.from = from;
  if (to) query.to = to;
  return query;
}

export const auditApi = {
  list: (query: AuditQuery, signal?: AbortSignal) =>
    apiRequest<AuditPage>('/audit-events', { query: { ...query }, signal }),
  get: (id: string) => apiRequest<AuditEventDto>(`/audit-events/${encodeURIComponent(id)}`),
  verify: () => apiRequest<AuditVerifyResult>('/audit-events/verify'),
  /** A plain link: the browser downloads the NDJSON through the dashboard's /api route. */
  exportHref: (query: AuditQuery) => `/api/audit-events/export${buildQuery({ ...query })}`,
};
