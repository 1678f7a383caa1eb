// TypeORM data source options shared by the app and by tests. `synchronize` stays off: the
// schema is whatever the committed migrations say.
//
// Every query against an external Postgres is bounded, so an outage answers quickly (the filter
// maps these failures to 503 database_unavailable) instead of hanging: connecting is bounded by
// the connect timeout, each statement by `statement_timeout` on the server and, for a network
// path that went silent, by `query_timeout` on the client, after which the connection is dropped
// rather than reused behind a query that will never answer. TCP keepalive finds dead idle
// connections before a request picks one up.
import { Client, type ClientConfig } from 'pg';
import { Logger as NestLogger } from '@nestjs/common';
import type { DataSourceOptions, Logger, QueryRunner } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseTarget {
  url: string;
  /** The embedded database is a single Postgres session: one connection, queued. */
  embedded: boolean;
  /** Bound on opening a connection and on waiting for a free one (external database only). */
  connectTimeoutMs?: number;
  /** Bound on each statement (external database only). */
  statementTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** The client-side read bound leaves the server's statement_timeout room to answer first. */
const READ_TIMEOUT_MARGIN_MS = 2_000;
const KEEPALIVE_IDLE_MS = 10_000;

// Postgres SQLSTATEs that mean the database cannot serve us now: connection exceptions (class 08),
// shutdowns and start-ups (57P01-57P03), a statement cut by statement_timeout (57014), too many
// connections (53300).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '53300']);
// Socket-level failures on the way to the database.
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// What pg and pg-pool say when a connection cannot be had or was lost.
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'query read timeout',
  'connection terminated',
  'client has encountered a connection error',
  'client was closed and is not queryable',
  'is not currently accepting connections',
];

/** pg's message when `query_timeout` fires; the query may still be running on the connection. */
const QUERY_READ_TIMEOUT = 'Query read timeout';

/** Errors the database driver raised that mean "unavailable", marked where they were raised. */
const marked = new WeakSet<object>();

function saysUnavailable(error: { code?: unknown; message?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
  const message = typeof error.message === 'string' ? error.message.slice(0, 200).toLowerCase() : '';
  return UNAVAILABLE_MESSAGES.some((text) => message.includes(text));
}

function mark(error: unknown, always: boolean): void {
  if (error && typeof error === 'object' && (always || saysUnavailable(error))) marked.add(error);
}

/**
 * Whether an error means the database is unreachable, refusing connections or too slow to answer:
 * one the driver raised and marked (found inside TypeORM's QueryFailedError, a cause or an
 * AggregateError too), or the pool's own timeout waiting for a connection. Socket errors from
 * anything else (an upstream call) are not mistaken for it.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if (marked.has(error)) return true;
  const candidate = error as { message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (
    typeof candidate.message === 'string' &&
    candidate.message.startsWith('timeout exceeded when trying to connect')
  ) {
    return true;
  }
  const nested = [candidate.driverError, candidate.cause, ...(Array.isArray(candidate.errors) ? candidate.errors : [])];
  return nested.some((inner) => inner !== error && isDatabaseUnavailable(inner, depth + 1));
}

/** Whether a query failed on a unique constraint (SQLSTATE 23505), as pg or TypeORM reports it. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return (e?.driverError?.code ?? e?.code) === '23505';
}

/**
 * The pg client the pools use. It marks the errors that mean "database unavailable" where they
 * arise (every failure to connect; connection-level failures of a query), and closes its
 * connection when a query outlives `query_timeout`: otherwise pg keeps the timed-out query
 * active, the pool takes the connection back, and every later query on it queues behind one that
 * may never answer.
 */
class BoundedClient extends Client {
  connect(...args: unknown[]): never {
    const connect = super.connect as unknown as (...a: unknown[]) => unknown;
    const callback = args[0];
    if (typeof callback === 'function') {
      return connect.call(this, (error: unknown, ...rest: unknown[]) => {
        if (error) mark(error, true);
        callback(error, ...rest);
      }) as never;
    }
    return (connect.call(this) as Promise<unknown>).catch((error: unknown) => {
      mark(error, true);
      throw error;
    }) as never;
  }

  query(...args: unknown[]): never {
    const query = super.query as unknown as (...a: unknown[]) => unknown;
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, ...rest: unknown[]) => {
        if (error) this.failed(error);
        callback(error, ...rest);
      };
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) result.then(undefined, (error: unknown) => this.failed(error));
    return result as never;
  }

  private suspendedReadTimeout: unknown;

  /** No client-side read deadline until `restoreReadTimeout` (see withoutDeadlines). */
  suspendReadTimeout(): void {
    const parameters = (this as unknown as { connectionParameters: { query_timeout?: unknown } }).connectionParameters;
    this.suspendedReadTimeout = parameters.query_timeout;
    parameters.query_timeout = undefined;
  }

  restoreReadTimeout(): void {
    const parameters = (this as unknown as { connectionParameters: { query_timeout?: unknown } }).connectionParameters;
    parameters.query_timeout = this.suspendedReadTimeout;
  }

  private failed(error: unknown): void {
    mark(error, false);
    if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) {
      (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    }
  }
}

/**
 * Runs `work` on the runner's connection without the statement and read deadlines: waiting for
 * another instance's migrations, and migrating a large table, may rightly take longer than any
 * request should. The deadlines return when `work` ends.
 */
export async function withoutDeadlines<T>(runner: QueryRunner, work: () => Promise<T>): Promise<T> {
  const client: unknown = await runner.connect();
  const bounded = client instanceof BoundedClient ? client : null;
  await runner.query('SET statement_timeout = 0');
  bounded?.suspendReadTimeout();
  try {
    return await work();
  } finally {
    bounded?.restoreReadTimeout();
    // Back to the connection's default (the configured deadline); a lost connection has none.
    await runner.query('RESET statement_timeout').catch(() => undefined);
  }
}

/** Pool options for an external Postgres: bounded connects and statements, keepalive on. */
export function externalPoolOptions(connectTimeoutMs: number, statementTimeoutMs: number) {
  return {
    max: 10,
    idleTimeoutMillis: 30_000,
    Client: BoundedClient,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
  } satisfies ClientConfig & Record<string, unknown>;
}

const SQL_EXCERPT = 120;

/**
 * What a failed query's error may say in a log: its SQLSTATE, the schema objects it names and a
 * message that cannot carry a value. Postgres puts values in the detail (never logged) except
 * for data exceptions (class 22: "invalid input syntax for type uuid: \"<the value>\""), whose
 * message is cut before the value, and quoted values elsewhere are masked.
 */
export function describeQueryError(error: unknown): Record<string, string> {
  const raw = error as { code?: unknown; message?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
  const code = typeof raw?.code === 'string' ? raw.code : '';
  let message = typeof raw?.message === 'string' ? raw.message : typeof error === 'string' ? error : 'query failed';
  message = message.slice(0, 300);
  if (code.startsWith('22')) {
    const colon = message.indexOf(':');
    if (colon >= 0) message = message.slice(0, colon);
  }
  message = message.replace(/\bvalue "(?:[^"]|"")*"/g, 'value "…"');
  const described: Record<string, string> = { message };
  if (code) described.code = code;
  for (const name of ['constraint', 'table', 'column'] as const) {
    const value = raw?.[name];
    if (typeof value === 'string' && value) described[name] = value.slice(0, 64);
  }
  return described;
}

/**
 * TypeORM's logger: failed queries are logged by their error (described above) and the start of
 * their SQL text, never their parameters (password hashes, key digests, token envelopes, user
 * input). Nothing else TypeORM could print is logged.
 */
export class QueryErrorLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQueryError(error: string | Error, query: string): void {
    const described = describeQueryError(error);
    const sql = query.replace(/\s+/g, ' ').trim().slice(0, SQL_EXCERPT);
    this.logger.warn(`Query failed (${described.code ?? 'no code'}: ${described.message}): ${sql}`, {
      ...described,
      sql,
    });
  }
  logQuery(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message).slice(0, 500));
  }
}

export function dataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  return {
    type: 'postgres',
    url: target.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    // Failed queries are logged by their error and the start of their SQL, never their
    // parameters (digests, encrypted tokens, usernames); callers handle the error itself.
    logging: ['error'],
    logger: new QueryErrorLogger(),
    // The embedded database runs in this process: there is no network path to lose, it ignores
    // statement_timeout, and a bound on the wait for its one connection would fail requests
    // merely queued behind a batch.
    extra: target.embedded
      ? { max: 1, idleTimeoutMillis: 0, Client: BoundedClient }
      : externalPoolOptions(
          target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
          target.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
        ),
  };
}
