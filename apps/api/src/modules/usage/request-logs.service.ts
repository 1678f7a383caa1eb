// The rules for reading request logs: scope from the principal and their groups (own requests,
// plus those their groups' accounts served or their groups' keys made), default range (last 30 days),
// keyset pages newest first, and the CSV export that walks the same pages in batches.
import { Injectable } from '@nestjs/common';
import { GroupIndex } from '../groups/group-index';
import type { RequestLogDto, RequestLogPage } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import type { RequestLogFilterQueryDto, RequestLogListQueryDto } from './dto/usage.dto';
import { decodeCursor, encodeCursor } from './log-cursor';
import { RequestLogsRepository, type RequestLogFilter } from './request-logs.repository';
import { DAY_MS, resolveRange } from './time-range';
import { CSV_COLUMNS, csvLine, toRequestLogDto } from './usage.mapper';
import { requireReadableGroup, usageScopeFor } from './usage-scope';

export const DEFAULT_PAGE_SIZE = 50;
const DEFAULT_SPAN_MS = 30 * DAY_MS;
const FIRST_EXPORT_BATCH = 100;
const EXPORT_BATCH = 2000;

export interface CsvExport {
  filename: string;
  chunks: AsyncIterable<string>;
}

@Injectable()
export class RequestLogsService {
  constructor(
    private readonly logs: RequestLogsRepository,
    private readonly groups: GroupIndex,
  ) {}

  async list(principal: Principal, query: RequestLogListQueryDto): Promise<RequestLogPage> {
    const scope = usageScopeFor(principal, this.groups, query.ownerId);
    requireReadableGroup(principal, this.groups, query.groupId);
    const filter = this.filter(query);
    if (query.cursor) filter.cursor = decodeCursor(query.cursor);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.logs.list(scope, filter, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toRequestLogDto),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
    };
  }

  async get(principal: Principal, id: string): Promise<RequestLogDto> {
    const row = await this.logs.find(usageScopeFor(principal, this.groups), id);
    if (!row) throw ApiError.notFound('Request log');
    return toRequestLogDto(row);
  }

  /** Validates now (so a bad query is a 400), then yields CSV lazily, one piece per batch. */
  export(principal: Principal, query: RequestLogFilterQueryDto): CsvExport {
    const scope = usageScopeFor(principal, this.groups, query.ownerId);
    requireReadableGroup(principal, this.groups, query.groupId);
    const filter = this.filter(query);
    const stamp = filter.to.toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return { filename: `request-logs-${stamp}.csv`, chunks: this.csvChunks(scope, filter) };
  }

  private async *csvChunks(scope: OwnerScope, filter: RequestLogFilter): AsyncGenerator<string> {
    yield csvLine(CSV_COLUMNS);
    let cursor = filter.cursor;
    // Small first batches get rows to the client quickly (and bound the work wasted when a client
    // hangs up early); later batches grow to amortise the round trip.
    let batch = FIRST_EXPORT_BATCH;
    for (;;) {
      const rows = await this.logs.list(scope, { ...filter, cursor }, batch);
      if (rows.length > 0) {
        yield rows
          .map((row) => {
            const dto = toRequestLogDto(row);
            return csvLine(CSV_COLUMNS.map((column) => dto[column]));
          })
          .join('');
      }
      if (rows.length < batch) return;
      batch = Math.min(EXPORT_BATCH, batch * 4);
      const last = rows[rows.length - 1];
      cursor = { at: last.cursor_at, id: last.id };
    }
  }

  private filter(query: RequestLogFilterQueryDto): RequestLogFilter {
    const range = resolveRange(query.from, query.to, DEFAULT_SPAN_MS);
    return {
      ...range,
      apiKeyId: query.apiKeyId,
      accountId: query.accountId,
      groupId: query.groupId,
      model: query.model,
      status: query.status,
      route: query.route,
      endUser: query.endUser,
      q: query.q?.trim() || undefined,
    };
  }
}
