// The only code that touches request_logs: the writer's batch insert (with its rollup deltas, in
// one transaction), scoped reads for lists, detail and export, and the retention purge. Every
// read takes an OwnerScope and carries it in the WHERE clause: the caller's own requests, plus
// those served by their groups' accounts or made with their groups' keys (usageReadCondition).
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, type EntityManager } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { RequestLogQuery, RequestLogStatus } from '@codex-lb/shared';
import { groupAccountsSql, usageReadCondition, type OwnerScope } from '../../common/owner-scope';
import { isUniqueViolation } from '../../database/data-source';
import { accountCondition } from '../accounts/accounts.repository';
import { SETTINGS, type Settings } from '../../config/settings';
import type { LogCursor } from './log-cursor';
import { rollupDeltas, seriesDeltas, type RollupUnit } from './rollup-batch';
import type { RequestLogEntry } from './request-log.types';

/** The query's filters once parsed: a resolved range and a decoded cursor. */
export type RequestLogFilter = Pick<
  RequestLogQuery,
  'apiKeyId' | 'accountId' | 'groupId' | 'model' | 'status' | 'route' | 'endUser' | 'q'
> & {
  from: Date;
  to: Date;
  cursor?: LogCursor;
};

export interface RequestLogRow {
  id: string;
  requested_at: Date;
  cursor_at: string;
  owner_user_id: string;
  owner_username: string | null;
  api_key_id: string | null;
  api_key_name: string | null;
  account_id: string | null;
  account_label: string | null;
  route: string;
  model: string | null;
  stream: boolean;
  status: RequestLogStatus;
  http_status: number;
  error_code: string | null;
  input_tokens: number | null;
  cached_input_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  client_ip: string | null;
  user_agent: string | null;
  session_id: string | null;
  end_user: string | null;
}

// A log keeps the id of a key or account deleted since (as the rollups do); rows of a deleted
// owner are dropped (a trigger deletes an owner's logs with the owner). The batch arrives as one
// array per column: Postgres reads array literals several times faster than the same rows as JSON
// objects. The statement answers with the ids it did not store (normally none) rather than
// echoing the batch.
/** Each stored column: its name, its Postgres type, and how an entry gives its value. */
export const LOG_COLUMNS: [string, string, (e: RequestLogEntry) => unknown][] = [
  ['id', 'uuid', (e) => e.requestId],
  ['requested_at', 'timestamptz', (e) => e.requestedAt.toISOString()],
  ['owner_user_id', 'uuid', (e) => e.ownerUserId],
  ['api_key_id', 'uuid', (e) => e.apiKeyId],
  ['account_id', 'uuid', (e) => e.accountId],
  ['route', 'text', (e) => e.route],
  ['model', 'text', (e) => e.model],
  ['stream', 'boolean', (e) => e.stream],
  ['status', 'text', (e) => e.status],
  ['http_status', 'int', (e) => e.httpStatus],
  ['error_code', 'text', (e) => e.errorCode],
  ['input_tokens', 'int', (e) => e.inputTokens],
  ['cached_input_tokens', 'int', (e) => e.cachedInputTokens],
  ['output_tokens', 'int', (e) => e.outputTokens],
  ['reasoning_tokens', 'int', (e) => e.reasoningTokens],
  ['cost_usd', 'numeric', (e) => e.costUsd],
  ['latency_ms', 'int', (e) => e.latencyMs],
  ['ttfb_ms', 'int', (e) => e.ttfbMs],
  ['client_ip', 'text', (e) => e.clientIp],
  ['user_agent', 'text', (e) => e.userAgent],
  ['session_id', 'text', (e) => e.sessionId],
  ['end_user', 'text', (e) => e.endUser ?? null],
];

const LOG_COLUMN_NAMES = LOG_COLUMNS.map(([name]) => name).join(', ');

/** The insert of a batch whose rows the query `source` yields (LOG_COLUMNS, in order). */
function insertLogs(source: string): string {
  return `
  WITH batch AS (${source}), owners AS (
    -- One lock per owner instead of a foreign-key check per row: a user being deleted either
    -- waits for this batch (and its trigger then deletes these rows too) or is gone by now, and
    -- the rows are skipped.
    SELECT u.id FROM dashboard_users u WHERE u.id IN (SELECT DISTINCT owner_user_id FROM batch) FOR KEY SHARE
  ), stored AS (
    INSERT INTO request_logs (${LOG_COLUMN_NAMES})
    SELECT * FROM batch r WHERE r.owner_user_id IN (SELECT id FROM owners)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  )
  SELECT b.id FROM batch b WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.id = b.id)`;
}

/** The batch as one array literal per column (logColumns), for the embedded database. */
const INSERT_LOGS = insertLogs(
  `SELECT * FROM unnest(${LOG_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS r(${LOG_COLUMN_NAMES})`,
);

// On an external Postgres the batch arrives by COPY: Postgres parses COPY's text rows at about half
// the cost of 22 array literals (bench/BASELINE.md). It goes straight into request_logs once the
// owners are locked (LOCK_OWNERS), as one lock per owner stands for the foreign key the table does
// not have. A request id stored already (a batch written again after its commit was lost) makes
// that COPY fail whole; the batch is then written again through a temporary table of the session
// and the statement above, which skips stored ids. The embedded database (PGlite) does not speak
// COPY's sub-protocol, so it keeps the arrays.
const LOCK_OWNERS = 'SELECT id FROM dashboard_users WHERE id = ANY($1::uuid[]) FOR KEY SHARE';
const COPY_LOGS = `COPY request_logs (${LOG_COLUMN_NAMES}) FROM STDIN`;
const INCOMING = 'request_logs_incoming';
const CREATE_INCOMING = `CREATE TEMP TABLE IF NOT EXISTS ${INCOMING} (LIKE request_logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`;
const COPY_INCOMING = `COPY ${INCOMING} (${LOG_COLUMN_NAMES}) FROM STDIN`;
const INSERT_INCOMING = insertLogs(`SELECT ${LOG_COLUMN_NAMES} FROM ${INCOMING}`);

/** COPY's text format: \N for NULL; backslash, tab, newline and carriage return escaped. */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = String(value);
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, escapeCopyChar) : text;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;

function escapeCopyChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r';
}

/** A value that never needs escaping (a sanitized id or count): itself, or \N. */
function copyPlain(value: string | number | null | undefined): string | number {
  return value ?? '\\N';
}

/** requestedAt as COPY text, made once per millisecond (a busy gateway logs several per ms). */
let isoAt = NaN;
let iso = '';
function copyTime(at: Date): string {
  const ms = at.getTime();
  if (ms !== isoAt) {
    iso = at.toISOString();
    isoAt = ms;
  }
  return iso;
}

/**
 * One entry as a COPY text line, LOG_COLUMNS in order, written out field by field: ids and counts
 * are clean after sanitizeEntry and go as they are, only the free texts are escaped. The same
 * line as joining `copyText` of every LOG_COLUMNS value (the spec holds them together), at a
 * fraction of its cost: no closure call, type test or array per field.
 */
export function copyLine(e: RequestLogEntry): string {
  return (
    `${e.requestId}\t${copyTime(e.requestedAt)}\t${e.ownerUserId}\t${copyPlain(e.apiKeyId)}\t` +
    `${copyPlain(e.accountId)}\t${copyText(e.route)}\t${copyText(e.model)}\t${e.stream ? 't' : 'f'}\t` +
    `${copyText(e.status)}\t${copyPlain(e.httpStatus)}\t${copyText(e.errorCode)}\t${copyPlain(e.inputTokens)}\t` +
    `${copyPlain(e.cachedInputTokens)}\t${copyPlain(e.outputTokens)}\t${copyPlain(e.reasoningTokens)}\t` +
    `${copyPlain(e.costUsd)}\t${copyPlain(e.latencyMs)}\t${copyPlain(e.ttfbMs)}\t${copyText(e.clientIp)}\t` +
    `${copyText(e.userAgent)}\t${copyText(e.sessionId)}\t${copyText(e.endUser)}`
  );
}

/**
 * The batch as COPY text, in pieces of COPY_PIECE_ROWS rows, each made when it is asked for. A
 * piece is joined once from its lines: holding the whole batch's text until it was sent kept it
 * through young-generation collections into the old one (bench/BASELINE.md).
 */
export function* copyPieces(entries: readonly RequestLogEntry[]): Generator<string> {
  for (let from = 0; from < entries.length; from += COPY_PIECE_ROWS) {
    const to = Math.min(entries.length, from + COPY_PIECE_ROWS);
    const lines = new Array<string>(to - from);
    for (let i = from; i < to; i++) lines[i - from] = copyLine(entries[i]);
    yield `${lines.join('\n')}\n`;
  }
}

const COPY_PIECE_ROWS = 256;

/** Sends the batch's COPY text for `statement` (a COPY ... FROM STDIN) on the transaction's connection. */
async function copyRows(manager: EntityManager, statement: string, entries: readonly RequestLogEntry[]): Promise<void> {
  const client = (await (manager.queryRunner as PostgresQueryRunner).connect()) as PoolClient;
  await new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(statement));
    stream.on('finish', resolve);
    stream.on('error', reject);
    // One piece per event-loop turn: a batch of thousands of rows made in one go held the loop
    // (every tenant's requests) for ~10-20 ms; made a piece at a time, requests run in between.
    // Each piece becomes the stream's bytes at once (write() encodes strings as it takes them).
    // Pieces after the first are made outside this executor: what throws there fails the COPY
    // (and so the batch), rather than escaping as an uncaught exception.
    const pieces = copyPieces(entries);
    const next = (): void => {
      if (stream.destroyed) return;
      try {
        const piece = pieces.next();
        if (piece.done) {
          stream.end();
        } else if (stream.write(piece.value)) {
          setImmediate(next);
        } else {
          stream.once('drain', next);
        }
      } catch (error) {
        stream.destroy(error as Error);
        reject(error as Error);
      }
    };
    next();
  });
}

/** A Postgres array literal of values that need no quoting (uuids, numbers, booleans, times). */
function plainArray(values: unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out += `${i > 0 ? ',' : ''}${value === null || value === undefined ? 'NULL' : String(value)}`;
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /[\\"]/;

/** A Postgres array literal of text values, each quoted (and escaped when it holds \\ or "). */
function textArray(values: (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null) out += 'NULL';
    else out += `"${NEEDS_ESCAPE.test(value) ? value.replace(/[\\"]/g, '\\$&') : value}"`;
  }
  return `${out}}`;
}

/**
 * The batch as one array literal per LOG_COLUMNS column, in that order, written here rather than
 * by the driver: ids, numbers and times need no escaping, and texts are escaped only when needed.
 */
function logColumns(entries: readonly RequestLogEntry[]): string[] {
  return LOG_COLUMNS.map(([, type, value]) =>
    type === 'text' ? textArray(entries.map(value) as (string | null)[]) : plainArray(entries.map(value)),
  );
}

const SUMMED = [
  'requests',
  'errors',
  'cancelled',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'latency_sum_ms',
  'ttfb_sum_ms',
  'ttfb_count',
];

function mergeArray(column: string): string {
  return `${column} = (SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i)
                         FROM unnest(t.${column}, EXCLUDED.${column}) WITH ORDINALITY AS u(x, y, i))`;
}

function upsertRollups(table: string): string {
  return `
  INSERT INTO ${table} AS t (bucket_start, owner_user_id, api_key_id, account_id, model, ${SUMMED.join(', ')},
                             latency_hist, ttfb_hist)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
           bucket_start timestamptz, owner_user_id uuid, api_key_id uuid, account_id uuid, model text,
           requests bigint, errors bigint, cancelled bigint, input_tokens bigint, cached_input_tokens bigint,
           output_tokens bigint, reasoning_tokens bigint, cost_usd numeric, latency_sum_ms bigint, ttfb_sum_ms bigint,
           ttfb_count bigint, latency_hist int[], ttfb_hist int[])
  ON CONFLICT (bucket_start, owner_user_id, api_key_id, account_id, model) DO UPDATE SET
    ${SUMMED.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')},
    ${mergeArray('latency_hist')}, ${mergeArray('ttfb_hist')}`;
}

const SERIES_SUMMED = SUMMED.slice(0, 8);

const UPSERT_SERIES = `
  INSERT INTO usage_rollups_hourly_series AS t (dimension, bucket_start, owner_user_id, value, ${SERIES_SUMMED.join(', ')})
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
           dimension text, bucket_start timestamptz, owner_user_id uuid, value text, requests bigint, errors bigint,
           cancelled bigint, input_tokens bigint, cached_input_tokens bigint, output_tokens bigint,
           reasoning_tokens bigint, cost_usd numeric)
  ON CONFLICT (dimension, bucket_start, owner_user_id, value) DO UPDATE SET
    ${SERIES_SUMMED.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')}`;

const ROLLUP_TABLES: Record<RollupUnit, string> = { hour: 'usage_rollups_hourly', day: 'usage_rollups_daily' };

const LIST_COLUMNS = `l.*, to_char(l.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
  u.username AS owner_username, k.name AS api_key_name, coalesce(a.alias, a.email) AS account_label`;

/**
 * The list columns for a scope. A row a user sees only through a group (another member's request)
 * names its account only when the user reads that account (their own, or their groups'), so
 * another member's personal account stays unnamed.
 */
function listColumns(scope: OwnerScope, params: unknown[]): string {
  if (!('userId' in scope) || !scope.groupIds?.length) return LIST_COLUMNS;
  params.push(scope.userId);
  const mine = `l.owner_user_id = $${params.length}`;
  return LIST_COLUMNS.replace(
    'coalesce(a.alias, a.email) AS account_label',
    `CASE WHEN ${mine} OR (true${accountCondition(scope, 'read', params)})
          THEN coalesce(a.alias, a.email) END AS account_label`,
  );
}

const LABEL_JOINS = `LEFT JOIN dashboard_users u ON u.id = l.owner_user_id
  LEFT JOIN api_keys k ON k.id = l.api_key_id
  LEFT JOIN accounts a ON a.id = l.account_id`;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const LOG_COLUMNS_READ = { owner: 'l.owner_user_id', account: 'l.account_id', apiKey: 'l.api_key_id' };

function filterWhere(scope: OwnerScope, filter: RequestLogFilter, params: unknown[]): string {
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  let where = `l.requested_at >= ${add(filter.from)} AND l.requested_at < ${add(filter.to)}`;
  where += usageReadCondition(scope, LOG_COLUMNS_READ, params);
  if (filter.apiKeyId) where += ` AND l.api_key_id = ${add(filter.apiKeyId)}`;
  if (filter.accountId) where += ` AND l.account_id = ${add(filter.accountId)}`;
  if (filter.groupId) {
    where += ` AND l.account_id IN (${groupAccountsSql(`ARRAY[${add(filter.groupId)}::uuid]`)})`;
  }
  if (filter.model) where += ` AND l.model = ${add(filter.model)}`;
  if (filter.status) where += ` AND l.status = ${add(filter.status)}`;
  if (filter.route) where += ` AND l.route = ${add(filter.route)}`;
  if (filter.endUser) where += ` AND l.end_user = ${add(filter.endUser)}`;
  if (filter.q) where += ` AND l.error_code IS NOT NULL AND l.error_code ILIKE ${add(`%${escapeLike(filter.q)}%`)}`;
  if (filter.cursor) {
    where += ` AND (l.requested_at, l.id) < (${add(filter.cursor.at)}::timestamptz, ${add(filter.cursor.id)}::uuid)`;
  }
  return where;
}

@Injectable()
export class RequestLogsRepository {
  /** COPY for batches (an external Postgres); the embedded database takes array literals. */
  private readonly copy: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.copy = settings.databaseUrl !== null;
  }

  /**
   * Stores a batch (entries as sanitizeEntry leaves them) and adds it to both rollup tables, all
   * or nothing. Returns rows stored.
   */
  async insertBatch(entries: readonly RequestLogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    // A request id repeated within one batch is stored once, so it is counted once.
    const seen = new Set<string>();
    const unique = entries.filter((e) => !seen.has(e.requestId) && seen.add(e.requestId));
    if (!this.copy) return this.store(unique, (manager) => manager.query(INSERT_LOGS, logColumns(unique)));
    try {
      return await this.store(unique, (manager) => this.copyDirect(manager, unique));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    return this.store(unique, (manager) => this.copyThroughIncoming(manager, unique));
  }

  /**
   * One transaction: `write` stores the rows and answers the ids it did not store; the rollups
   * then count the rest.
   */
  private store(
    unique: RequestLogEntry[],
    write: (manager: EntityManager) => Promise<{ id: string }[]>,
  ): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const skipped = await write(manager);
      // Only rows actually stored count, so rollups always equal the sum of the logs they were
      // built from.
      const missing = new Set(skipped.map((row) => row.id));
      const counted = missing.size === 0 ? unique : unique.filter((e) => !missing.has(e.requestId));
      for (const unit of ['hour', 'day'] as const) await this.addRollups(manager, unit, counted);
      return counted.length;
    });
  }

  /**
   * The batch by COPY straight into request_logs, after its owners are locked: a user being
   * deleted either waits for this batch (and its trigger then deletes these rows too) or is gone
   * by now, and its rows are skipped. Fails with a unique violation when an id is stored already.
   */
  private async copyDirect(manager: EntityManager, entries: readonly RequestLogEntry[]): Promise<{ id: string }[]> {
    const owners = [...new Set(entries.map((e) => e.ownerUserId))];
    const locked: { id: string }[] = await manager.query(LOCK_OWNERS, [owners]);
    let rows = entries;
    let skipped: { id: string }[] = [];
    if (locked.length < owners.length) {
      const alive = new Set(locked.map((row) => row.id.toLowerCase()));
      rows = entries.filter((e) => alive.has(e.ownerUserId.toLowerCase()));
      skipped = entries.filter((e) => !alive.has(e.ownerUserId.toLowerCase())).map((e) => ({ id: e.requestId }));
    }
    if (rows.length > 0) await copyRows(manager, COPY_LOGS, rows);
    return skipped;
  }

  /**
   * The batch through the session's temporary table (emptied at commit or rollback), stored by
   * INSERT_INCOMING, which skips stored ids. The table is made, if missing, in every batch's own
   * transaction: a connection pooler may hand each transaction another server session.
   */
  private async copyThroughIncoming(
    manager: EntityManager,
    entries: readonly RequestLogEntry[],
  ): Promise<{ id: string }[]> {
    await manager.query(CREATE_INCOMING);
    await copyRows(manager, COPY_INCOMING, entries);
    return manager.query(INSERT_INCOMING);
  }

  private async addRollups(manager: EntityManager, unit: RollupUnit, entries: RequestLogEntry[]): Promise<void> {
    const deltas = rollupDeltas(entries, unit);
    if (deltas.length === 0) return;
    await manager.query(upsertRollups(ROLLUP_TABLES[unit]), [JSON.stringify(deltas)]);
    if (unit === 'hour') await manager.query(UPSERT_SERIES, [JSON.stringify(seriesDeltas(deltas))]);
  }

  /** One page newest first; asks for `limit` rows (callers pass page size + 1 to detect more). */
  async list(scope: OwnerScope, filter: RequestLogFilter, limit: number): Promise<RequestLogRow[]> {
    const params: unknown[] = [];
    const where = filterWhere(scope, filter, params);
    params.push(limit);
    const limitParam = params.length;
    return this.dataSource.query(
      `SELECT ${listColumns(scope, params)}
         FROM (SELECT * FROM request_logs l WHERE ${where}
                ORDER BY l.requested_at DESC, l.id DESC LIMIT $${limitParam}) l
         ${LABEL_JOINS}
        ORDER BY l.requested_at DESC, l.id DESC`,
      params,
    );
  }

  async find(scope: OwnerScope, id: string): Promise<RequestLogRow | null> {
    const params: unknown[] = [id];
    const where = usageReadCondition(scope, LOG_COLUMNS_READ, params);
    const rows = await this.dataSource.query(
      `SELECT ${listColumns(scope, params)} FROM request_logs l ${LABEL_JOINS}
        WHERE l.id = $1${where}`,
      params,
    );
    return rows[0] ?? null;
  }

  /** Deletes up to `batch` logs older than `cutoff`, oldest first; returns how many went. */
  async purgeBatch(cutoff: Date, batch: number): Promise<number> {
    const result = await this.dataSource.query(
      `DELETE FROM request_logs WHERE id IN (
         SELECT id FROM request_logs WHERE requested_at < $1 ORDER BY requested_at LIMIT $2)`,
      [cutoff, batch],
    );
    return Number(result[1] ?? 0);
  }
}
