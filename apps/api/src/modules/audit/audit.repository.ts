// The only code that reads or writes audit_events. Inserts take many rows at once (batches of
// denials); the actor's kind and an API key's prefix are resolved in the insert itself, so a
// caller never pays an extra round trip. Reads are keyset pages by id, newest first.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditActorKind, AuditOutcome } from '@codex-lb/shared';

/** One row to insert; `actorKind: 'principal'` means human or service, looked up by actorId. */
export interface AuditRowInput {
  actorId: string | null;
  actorKind: AuditActorKind | 'principal';
  actorLabel: string | null;
  authMethod: string | null;
  apiKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: Record<string, unknown> | null;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_kind: AuditActorKind;
  actor_label: string | null;
  auth_method: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, unknown> | null;
}

/** A row as the chain hashes it: every column in a fixed text form. */
export interface ChainRow {
  id: string;
  seq: string | null;
  prev_hash: string | null;
  hash: string | null;
  at_text: string;
  actor_id: string | null;
  actor_kind: string;
  actor_label: string | null;
  auth_method: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  outcome: string;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes_text: string | null;
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  /** Rows with an id below this one (the previous page's last). */
  beforeId?: string;
}

// Selected as text (bigint ids and seqs exceed JS numbers); sort and compare on e.<column>, never
// on these text aliases.
const ROW_COLUMNS = `id::text AS id, at, actor_id, actor_kind, actor_label, auth_method, action, target_type,
  target_id, target_label, outcome, reason, ip, user_agent, request_id, changes`;

const CHAIN_COLUMNS = `id::text AS id, seq::text AS seq, prev_hash, hash,
  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text,
  actor_id::text AS actor_id, actor_kind, actor_label, auth_method, action, target_type, target_id,
  target_label, outcome, reason, ip, user_agent, request_id, changes::text AS changes_text`;

/** The advisory lock the sealer and the purge hold (one sealer at a time, on every replica). */
export const AUDIT_SEAL_LOCK = 7_310_016_001;

@Injectable()
export class AuditRepository {
  /**
   * Rows this process inserted that no seal pass has covered yet (a hint: a rolled-back insert
   * counts too until a sweep clears it). The sealer stays off the database while it is zero.
   */
  unsealedHint = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(rows: AuditRowInput[], manager: EntityManager | DataSource = this.dataSource): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO audit_events (actor_id, actor_kind, actor_label, auth_method, action, target_type, target_id,
         target_label, outcome, reason, ip, user_agent, request_id, changes)
       SELECT v."actorId",
              CASE WHEN v."actorKind" <> 'principal' THEN v."actorKind"
                   ELSE COALESCE((SELECT CASE WHEN u.kind = 'service' THEN 'service' ELSE 'human' END
                                    FROM dashboard_users u WHERE u.id = v."actorId"), 'human') END,
              v."actorLabel",
              CASE WHEN v."apiKeyId" IS NOT NULL
                   THEN 'api_key:' || COALESCE((SELECT k.prefix FROM api_keys k WHERE k.id = v."apiKeyId"), 'unknown')
                   ELSE v."authMethod" END,
              v.action, v."targetType", v."targetId", v."targetLabel", v.outcome, v.reason, v.ip,
              v."userAgent", v."requestId", v.changes
         FROM jsonb_to_recordset($1::jsonb) AS v("actorId" uuid, "actorKind" text, "actorLabel" text,
              "authMethod" text, "apiKeyId" uuid, action text, "targetType" text, "targetId" text,
              "targetLabel" text, outcome text, reason text, ip text, "userAgent" text, "requestId" text,
              changes jsonb)`,
      [JSON.stringify(rows)],
    );
    this.unsealedHint += rows.length;
  }

  async list(filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    const { where, params } = whereOf(filter);
    params.push(limit);
    return this.dataSource.query(
      `SELECT ${ROW_COLUMNS} FROM audit_events e ${where} ORDER BY e.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  async get(id: string): Promise<AuditRow | null> {
    const rows: AuditRow[] = await this.dataSource.query(`SELECT ${ROW_COLUMNS} FROM audit_events WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  // --- the chain ---

  /** Takes the sealing lock for the transaction: waits when `wait`, else false if it is held. */
  async lockSealing(manager: EntityManager, wait: boolean): Promise<boolean> {
    if (wait) {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [AUDIT_SEAL_LOCK]);
      return true;
    }
    const rows: { locked: boolean }[] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
      AUDIT_SEAL_LOCK,
    ]);
    return rows[0]?.locked === true;
  }

  async chainTip(manager: EntityManager): Promise<{ seq: string; hash: string } | null> {
    const rows: { seq: string; hash: string }[] = await manager.query(
      `SELECT e.seq::text AS seq, e.hash FROM audit_events e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1`,
    );
    return rows[0] ?? null;
  }

  unsealed(manager: EntityManager, limit: number): Promise<ChainRow[]> {
    return manager.query(`SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq IS NULL ORDER BY e.id LIMIT $1`, [
      limit,
    ]);
  }

  async seal(manager: EntityManager, seals: { id: string; seq: string; prev: string; hash: string }[]): Promise<void> {
    if (seals.length === 0) return;
    await manager.query(
      `UPDATE audit_events e SET seq = v.seq, prev_hash = v.prev, hash = v.hash
         FROM jsonb_to_recordset($1::jsonb) AS v(id bigint, seq bigint, prev text, hash text)
        WHERE e.id = v.id AND e.seq IS NULL`,
      [JSON.stringify(seals)],
    );
  }

  /** Sealed rows after `afterSeq` in chain order. */
  sealedAfter(afterSeq: string | null, limit: number): Promise<ChainRow[]> {
    return this.dataSource.query(
      `SELECT ${CHAIN_COLUMNS} FROM audit_events e WHERE e.seq IS NOT NULL AND e.seq > $1 ORDER BY e.seq LIMIT $2`,
      [afterSeq ?? '0', limit],
    );
  }

  /** The checkpoint a purge wrote for the rows up to `throughSeq`, if one is still there. */
  async checkpoint(throughSeq: string): Promise<{ id: string; through_hash: string } | null> {
    const rows: { id: string; through_hash: string }[] = await this.dataSource.query(
      `SELECT id::text AS id, changes->'after'->>'throughHash' AS through_hash FROM audit_events
        WHERE action = 'audit.purge' AND actor_kind = 'system' AND seq IS NOT NULL
          AND changes->'after'->>'throughSeq' = $1
        ORDER BY audit_events.id LIMIT 1`,
      [throughSeq],
    );
    return rows[0] ?? null;
  }

  /** One retention batch through audit_purge(); returns the rows deleted. */
  async purgeBatch(manager: EntityManager, cutoff: Date, batch: number): Promise<number> {
    const rows: { deleted: number }[] = await manager.query(`SELECT audit_purge($1, $2) AS deleted`, [cutoff, batch]);
    return Number(rows[0]?.deleted ?? 0);
  }
}

function whereOf(filter: AuditFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.actorId) add('e.actor_id = ?', filter.actorId);
  if (filter.action) add('e.action = ?', filter.action);
  if (filter.targetType) add('e.target_type = ?', filter.targetType);
  if (filter.targetId) add('e.target_id = ?', filter.targetId);
  if (filter.outcome) add('e.outcome = ?', filter.outcome);
  if (filter.from) add('e.at >= ?', filter.from);
  if (filter.to) add('e.at < ?', filter.to);
  if (filter.beforeId) add('e.id < ?', filter.beforeId);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
