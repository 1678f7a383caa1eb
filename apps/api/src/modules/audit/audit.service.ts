// The audit log's write side. record() writes one row in the caller's transaction, so the row
// exists exactly when the change does. recordSoon() takes floods (denials, failed logins): events
// with the same actor, action, target and address within one window become one row with a count,
// the queue is bounded (what does not fit is counted and dropped), and a timer writes each window
// in one insert, so 10 000 denials cost a few rows and no request waits on the database for them.
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { currentRequestContext, type RequestContext } from '../../common/request-context';
import type { Principal } from '../../common/principal';
import { AuditRepository, type AuditRowInput } from './audit.repository';
import type { AuditChanges, AuditInput, CredentialActor } from './audit.types';

export type { AuditInput } from './audit.types';

/** How long recordSoon() gathers events before writing them (the deduplication window). */
export const AUDIT_FLUSH_MS = 2_000;
/** Distinct (actor, action, target, address) entries one window holds; more are dropped. */
export const AUDIT_QUEUE_MAX = 1_000;

const LABEL_MAX = 200;
const REASON_MAX = 1_000;
const CHANGE_FIELDS_MAX = 50;
const CHANGE_VALUE_MAX = 500;

/** Field names that never reach the log, whatever a caller passes. */
const SECRET_FIELD =
  /pass(word|phrase)?|secret|^token$|(access|refresh|id|session|bearer|api)_?token|hash|^key$|apikey|rawkey|totp|otp|recovery|cookie|authorization|credential|private/i;

interface Pending {
  row: AuditRowInput;
  count: number;
}

@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private pending = new Map<string, Pending>();
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(private readonly audit: AuditRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), AUDIT_FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Writes one row inside the caller's transaction. */
  async record(manager: EntityManager, event: AuditInput): Promise<void> {
    await this.audit.insert([this.toRow(event)], manager);
  }

  /** Queues an event of a flood; never throws, never waits. */
  recordSoon(event: AuditInput): void {
    const row = this.toRow(event);
    const key = [row.actorId ?? row.actorKind, row.action, row.targetType, row.targetId, row.ip].join('\u0000');
    const entry = this.pending.get(key);
    if (entry) {
      entry.count += 1;
      return;
    }
    if (this.pending.size >= AUDIT_QUEUE_MAX) {
      this.dropped += 1;
      return;
    }
    this.pending.set(key, { row, count: 1 });
  }

  /** Writes what recordSoon() gathered (the timer calls it; specs call it to read at once). */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Events recordSoon() dropped because its queue was full, since start. */
  get droppedCount(): number {
    return this.dropped;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const rows = batch.map(({ row, count }) =>
      count > 1 ? { ...row, changes: { ...(row.changes ?? {}), count } } : row,
    );
    try {
      await this.audit.insert(rows);
    } catch (error) {
      // Best effort by contract: a database outage loses these, it never fails a request.
      this.logger.warn(`could not write ${rows.length} audit events: ${String(error)}`);
    }
  }

  private toRow(event: AuditInput): AuditRowInput {
    const context = currentRequestContext();
    const actor = event.actor === undefined ? (context?.principal ?? undefined) : event.actor;
    return {
      ...actorColumns(actor, context),
      action: event.action,
      targetType: bound(event.target?.type, 64),
      targetId: bound(event.target?.id, LABEL_MAX),
      targetLabel: bound(event.target?.label, LABEL_MAX),
      outcome: event.outcome ?? 'success',
      reason: bound(event.reason, REASON_MAX),
      ip: context?.ip ?? null,
      userAgent: context?.userAgent ?? null,
      requestId: context?.requestId ?? null,
      changes: cleanChanges(event.changes),
    };
  }
}

type ActorColumns = Pick<AuditRowInput, 'actorId' | 'actorKind' | 'actorLabel' | 'authMethod' | 'apiKeyId'>;

/**
 * null: nobody signed in. undefined: the request's principal, or the server itself outside a
 * request (or inside one nobody authenticated).
 */
function actorColumns(
  actor: Principal | CredentialActor | null | undefined,
  context: RequestContext | undefined,
): ActorColumns {
  if (actor?.kind === 'credential') {
    return {
      actorId: actor.id,
      actorKind: 'service',
      actorLabel: bound(actor.label, LABEL_MAX),
      authMethod: bound(actor.authMethod, 64),
      apiKeyId: null,
    };
  }
  if (actor === null || (actor === undefined && context)) {
    return { actorId: null, actorKind: 'anonymous', actorLabel: null, authMethod: null, apiKeyId: null };
  }
  if (actor === undefined) {
    return { actorId: null, actorKind: 'system', actorLabel: 'system', authMethod: null, apiKeyId: null };
  }
  return {
    actorId: actor.userId,
    actorKind: 'principal',
    actorLabel: bound(actor.username, LABEL_MAX),
    authMethod: actor.kind === 'session' ? 'session' : actor.kind === 'internal' ? 'internal' : 'api_key',
    apiKeyId: actor.kind === 'api_key' ? (actor.apiKeyId ?? null) : null,
  };
}

function bound(value: string | null | undefined, max: number): string | null {
  if (value === undefined || value === null) return null;
  return value.length > max ? value.slice(0, max) : value;
}

function cleanChanges(changes: AuditChanges | undefined): Record<string, unknown> | null {
  if (!changes) return null;
  const out: Record<string, unknown> = {};
  if (changes.before) out.before = cleanFields(changes.before);
  if (changes.after) out.after = cleanFields(changes.after);
  return Object.keys(out).length ? out : null;
}

function cleanFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields).slice(0, CHANGE_FIELDS_MAX)) {
    if (SECRET_FIELD.test(name) || value === undefined) continue;
    out[name] = cleanValue(value, depth);
  }
  return out;
}

function cleanValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > CHANGE_VALUE_MAX ? value.slice(0, CHANGE_VALUE_MAX) : value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= 2) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, CHANGE_FIELDS_MAX).map((item) => cleanValue(item, depth + 1));
  if (typeof value === 'object') return cleanFields(value as Record<string, unknown>, depth + 1);
  return String(value);
}

/**
 * The before/after of the fields that differ between two snapshots (only the keys `after` names),
 * or undefined when nothing changed.
 */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): AuditChanges | undefined {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(after)) {
    if (value === undefined) continue;
    if (JSON.stringify(before[name] ?? null) === JSON.stringify(value ?? null)) continue;
    b[name] = before[name] ?? null;
    a[name] = value;
  }
  return Object.keys(a).length ? { before: b, after: a } : undefined;
}
