// The audit log's read side: pages, one event, the NDJSON export (bounded, and itself audited) and
// the chain check. Readers hold audit:read and see every event: the log is the admins' record,
// not scoped to an owner.
import { Injectable } from '@nestjs/common';
import type { AuditEventDto, AuditPage, AuditVerifyResult } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { Principal } from '../../common/principal';
import { GENESIS_HASH, rowHash } from './audit-chain';
import { AuditSealer } from './audit-sealer';
import { toAuditEventDto } from './audit.mapper';
import { AuditRepository, type AuditFilter } from './audit.repository';
import { AuditService } from './audit.service';
import type { AuditFilterQueryDto, AuditListQueryDto } from './dto/audit-query.dto';

const DEFAULT_LIMIT = 50;
const EXPORT_BATCH = 1_000;
/** The most rows one export streams; narrow the filters for more. */
export const AUDIT_EXPORT_MAX = 100_000;
const VERIFY_BATCH = 2_000;

@Injectable()
export class AuditReaderService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly recorder: AuditService,
    private readonly sealer: AuditSealer,
  ) {}

  async list(query: AuditListQueryDto): Promise<AuditPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = await this.audit.list({ ...filterOf(query), beforeId: query.cursor }, limit + 1);
    const items = rows.slice(0, limit).map(toAuditEventDto);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  async get(id: string): Promise<AuditEventDto> {
    if (!/^[1-9][0-9]{0,18}$/.test(id)) throw ApiError.notFound('Audit event');
    const row = await this.audit.get(id);
    if (!row) throw ApiError.notFound('Audit event');
    return toAuditEventDto(row);
  }

  /** Records the export, then yields NDJSON pieces, one per database batch, newest first. */
  async export(principal: Principal, query: AuditFilterQueryDto): Promise<AsyncIterable<string>> {
    const filter = filterOf(query);
    await this.audit.transaction((manager) =>
      this.recorder.record(manager, {
        action: 'audit.export',
        actor: principal,
        target: { type: 'audit_events' },
        changes: { after: { filters: { ...query } } },
      }),
    );
    const audit = this.audit;
    return (async function* () {
      let beforeId: string | undefined;
      let sent = 0;
      while (sent < AUDIT_EXPORT_MAX) {
        const rows = await audit.list({ ...filter, beforeId }, Math.min(EXPORT_BATCH, AUDIT_EXPORT_MAX - sent));
        if (rows.length === 0) return;
        sent += rows.length;
        beforeId = rows[rows.length - 1].id;
        yield rows.map((row) => `${JSON.stringify(toAuditEventDto(row))}\n`).join('');
        if (rows.length < EXPORT_BATCH) return;
      }
    })();
  }

  /**
   * Seals what is pending, then walks the chain in seq order: each row's hash must match its
   * content and the previous row's hash, seq must have no gap, and the first row must be the
   * chain's start or follow a retention checkpoint that names its predecessor.
   */
  async verify(): Promise<AuditVerifyResult> {
    await this.recorder.flush();
    await this.sealer.sealPending(true);
    let checked = 0;
    let last: { seq: bigint; hash: string } | null = null;
    for (;;) {
      const rows = await this.audit.sealedAfter(last ? last.seq.toString() : null, VERIFY_BATCH);
      for (const row of rows) {
        const seq = BigInt(row.seq!);
        if (last === null) {
          if (!(await this.startsChain(seq, row.prev_hash!))) return { ok: false, checked, firstBadId: row.id };
        } else if (seq !== last.seq + 1n || row.prev_hash !== last.hash) {
          return { ok: false, checked, firstBadId: row.id };
        }
        if (rowHash(row, row.seq!, row.prev_hash!) !== row.hash) return { ok: false, checked, firstBadId: row.id };
        checked += 1;
        last = { seq, hash: row.hash! };
      }
      if (rows.length < VERIFY_BATCH) return { ok: true, checked };
    }
  }

  private async startsChain(seq: bigint, prevHash: string): Promise<boolean> {
    if (seq === 1n) return prevHash === GENESIS_HASH;
    const checkpoint = await this.audit.checkpoint((seq - 1n).toString());
    return checkpoint !== null && checkpoint.through_hash === prevHash;
  }
}

function filterOf(query: AuditFilterQueryDto): AuditFilter {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && to <= from) throw ApiError.badRequest('to must be after from.');
  return {
    actorId: query.actorId,
    action: query.action,
    targetType: query.targetType,
    targetId: query.targetId,
    outcome: query.outcome,
    from,
    to,
  };
}
