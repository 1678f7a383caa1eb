// Every CODEX_LB_* setting, parsed once at boot into one typed object. A bad value stops the
// start with a message naming the variable, instead of failing later in some request.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Settings {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  webPort: number;
  apiUrl: string;
  dashboardOrigins: string[];
  oauthCallbackPort: number;
  databaseUrl: string | null;
  dataDir: string;
  redisUrl: string | null;
  /** Once-only jobs (log retention, quota polling, audit sealing): the lease one replica holds. */
  jobLeaseMs: number;
  /** Delay before the first log-retention pass after start (it does not compete with startup). */
  logRetentionFirstRunMs: number;
  encryptionKey: Buffer | null;
  bootstrapAdminPassword: string | null;
  upstreamBaseUrl: string;
  authBaseUrl: string;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  loginRateLimitPerMinute: number;
  loginFailuresBeforeBackoff: number;
  usagePollIntervalSeconds: number;
  logRetentionDays: number;
  /** Days the audit log keeps its rows (0 keeps them forever); the purge checkpoints the chain. */
  auditRetentionDays: number;
  /** Which hops in front of the API may set X-Forwarded-For (see common/client-address.ts). */
  trustProxy: TrustProxy;
  /**
   * The dashboard's URL as browsers see it: the first of CODEX_LB_DASHBOARD_ORIGINS. Its scheme
   * decides the session cookie: https makes it Secure with the __Host- prefix, even when TLS ends
   * at a proxy in front.
   */
  dashboardUrl: string;
  /** Who must have two-factor sign-in: nobody, holders of user or role management, everyone. */
  mfaPolicy: MfaPolicy;
  /** bcrypt verifications and hashes running at once, and how many may wait for a turn. */
  passwordHashConcurrency: number;
  passwordHashQueue: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Log lines as JSON (one object a line) or as coloured text for a terminal. */
  logFormat: 'json' | 'pretty';
  /** Prometheus metrics at GET /metrics, and the bearer token a scrape must bring (null: none). */
  metrics: boolean;
  metricsToken: string | null;
  /** Largest proxy request body, in bytes (Codex sends whole histories). */
  proxyBodyLimitBytes: number;
  /** Largest dashboard/management API JSON body, in bytes. */
  apiBodyLimitBytes: number;
  /** Proxied requests in flight per owner (user) and per API key; more wait in a queue. */
  maxConcurrentPerOwner: number;
  maxConcurrentPerKey: number;
  /** How long a request waits for a concurrency slot before a 429 with Retry-After. */
  queueTimeoutMs: number;
  /** Connections in the one upstream pool. */
  upstreamConnections: number;
  /** An upstream request with no response headers this long after it was sent is aborted. */
  upstreamHeadersTimeoutMs: number;
  /** An upstream answer that sends nothing for this long (while it is being read) is aborted. */
  upstreamIdleTimeoutMs: number;
  /** A client that accepts no byte of a stream for this long is cut off. */
  streamStallTimeoutMs: number;
  /** Responses over WebSocket on the proxy's responses routes; off answers upgrades with 426. */
  websockets: boolean;
  /** Open WebSockets per owner (user) and per API key; an upgrade over either is a 429. */
  maxSocketsPerOwner: number;
  maxSocketsPerKey: number;
  /** A WebSocket with no frame either way for this long is closed. */
  websocketIdleTimeoutMs: number;
  /** Postgres: connect and statement deadlines, so an outage answers 503 instead of hanging. */
  databaseConnectTimeoutMs: number;
  databaseStatementTimeoutMs: number;
}

export type MfaPolicy = 'off' | 'admins' | 'everyone';

/**
 * `none`: X-Forwarded-For is ignored; `addresses`: trusted only from these peers (addresses,
 * CIDRs, or proxy-addr's names loopback, linklocal, uniquelocal), walking the chain from the
 * right; `hops`: the nearest N hops are trusted whoever they are (only safe when nothing else can
 * reach the port).
 */
export type TrustProxy = { kind: 'none' } | { kind: 'addresses'; addresses: string[] } | { kind: 'hops'; hops: number };

export class SettingsError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid setting ${variable}: ${message}`);
    this.name = 'SettingsError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new SettingsError(name, `expected an integer, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new SettingsError(name, `expected a value between ${min} and ${max}, got ${parsed}`);
  }
  return parsed;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new SettingsError(name, `expected true or false, got "${value}"`);
}

function port(env: Env, name: string, fallback: number): number {
  return int(env, name, fallback, 0, 65535);
}

function url(env: Env, name: string, fallback: string | null, protocols: string[]): string | null {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SettingsError(name, `expected a URL, got "${redact(value)}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new SettingsError(name, `expected a ${protocols.join(' or ')} URL`);
  }
  return value.replace(/\/+$/, '');
}

/** Never echo credentials embedded in a URL back into an error message. */
function redact(value: string): string {
  return value.replace(/\/\/[^@/]*@/, '//***@');
}

function origins(env: Env, name: string, fallback: string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  return value.split(',').map((entry) => {
    const trimmed = entry.trim();
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      throw new SettingsError(name, `"${trimmed}" is not an origin like http://host:port`);
    }
    if (parsed.origin !== trimmed.replace(/\/+$/, '')) {
      throw new SettingsError(name, `"${trimmed}" is not an origin like http://host:port`);
    }
    return parsed.origin;
  });
}

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

/**
 * CODEX_LB_TRUST_PROXY: `false`/`0` (ignore X-Forwarded-For), a hop count, or a comma list of
 * peers. `true` is refused: it used to trust any client's own header.
 */
function trustProxy(env: Env): TrustProxy {
  const name = 'CODEX_LB_TRUST_PROXY';
  const value = raw(env, name);
  if (value === undefined) return { kind: 'addresses', addresses: ['loopback'] };
  const lower = value.toLowerCase();
  if (['false', 'no', 'off', '0', 'none'].includes(lower)) return { kind: 'none' };
  if (['true', 'yes', 'on'].includes(lower)) {
    throw new SettingsError(
      name,
      '"true" would trust an X-Forwarded-For header sent by any client. Name the proxy in front of ' +
        'codex-lb instead: its address or network (e.g. 127.0.0.1, 10.0.0.0/8, loopback, uniquelocal), ' +
        'or a hop count such as 1 if nothing but the proxy can reach the port',
    );
  }
  if (/^\d+$/.test(value)) return { kind: 'hops', hops: int(env, name, 0, 0, 10) };
  const addresses = value.split(',').map((entry) => entry.trim().toLowerCase());
  for (const entry of addresses) {
    const [address, bits] = entry.split('/');
    const valid =
      TRUST_NAMES.has(entry) ||
      (IPV4_CIDR.test(entry) &&
        address.split('.').every((octet) => Number(octet) <= 255) &&
        Number(bits ?? 32) <= 32) ||
      (entry.includes(':') && IPV6_CIDR.test(entry) && Number(bits ?? 128) <= 128);
    if (!valid) {
      throw new SettingsError(
        name,
        `"${entry}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal (or use false or a hop count)`,
      );
    }
  }
  return { kind: 'addresses', addresses };
}

function mfaPolicy(env: Env): MfaPolicy {
  const value = (raw(env, 'CODEX_LB_MFA_REQUIRED') ?? 'off').toLowerCase();
  if (value === 'off' || value === 'admins' || value === 'everyone') return value;
  throw new SettingsError('CODEX_LB_MFA_REQUIRED', `expected off, admins or everyone, got "${value}"`);
}

function logFormat(env: Env, production: boolean): Settings['logFormat'] {
  const value = (raw(env, 'CODEX_LB_LOG_FORMAT') ?? (production ? 'json' : 'pretty')).toLowerCase();
  if (value === 'json' || value === 'pretty') return value;
  throw new SettingsError('CODEX_LB_LOG_FORMAT', `expected json or pretty, got "${value}"`);
}

function metricsToken(env: Env): string | null {
  const value = raw(env, 'CODEX_LB_METRICS_TOKEN');
  if (value === undefined) return null;
  if (value.length < 16) throw new SettingsError('CODEX_LB_METRICS_TOKEN', 'must be at least 16 characters');
  return value;
}

function encryptionKey(env: Env): Buffer | null {
  const value = raw(env, 'CODEX_LB_ENCRYPTION_KEY');
  if (value === undefined) return null;
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    throw new SettingsError(
      'CODEX_LB_ENCRYPTION_KEY',
      'expected 32 bytes encoded as base64 (generate one with: openssl rand -base64 32)',
    );
  }
  return key;
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(path);
}

export function loadSettings(env: Env = process.env): Settings {
  const nodeEnv = raw(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const bootstrapAdminPassword = raw(env, 'CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD') ?? null;
  if (bootstrapAdminPassword !== null && bootstrapAdminPassword.length < 8) {
    throw new SettingsError('CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  // bcrypt reads 72 bytes; a longer password would be cut silently (common/passwords.ts).
  if (bootstrapAdminPassword !== null && Buffer.byteLength(bootstrapAdminPassword, 'utf8') > 72) {
    throw new SettingsError('CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD', 'must be at most 72 bytes');
  }
  const logLevel = (raw(env, 'CODEX_LB_LOG_LEVEL') ?? 'log') as Settings['logLevel'];
  if (!['error', 'warn', 'log', 'debug'].includes(logLevel)) {
    throw new SettingsError('CODEX_LB_LOG_LEVEL', 'expected one of error, warn, log, debug');
  }
  const idle = int(env, 'CODEX_LB_SESSION_IDLE_TIMEOUT_SECONDS', 12 * 3600, 60, 365 * 86400);
  const absolute = int(env, 'CODEX_LB_SESSION_MAX_AGE_SECONDS', 7 * 86400, 60, 365 * 86400);
  if (absolute < idle) {
    throw new SettingsError(
      'CODEX_LB_SESSION_MAX_AGE_SECONDS',
      'must be at least CODEX_LB_SESSION_IDLE_TIMEOUT_SECONDS',
    );
  }

  const dashboardOrigins = origins(env, 'CODEX_LB_DASHBOARD_ORIGINS', [
    'http://localhost:3000',
    'http://127.0.0.1:3000',
  ]);

  return {
    nodeEnv,
    production,
    port: port(env, 'CODEX_LB_PORT', 2455),
    host: raw(env, 'CODEX_LB_HOST') ?? '0.0.0.0',
    webPort: port(env, 'CODEX_LB_WEB_PORT', 3000),
    apiUrl: url(env, 'CODEX_LB_API_URL', 'http://127.0.0.1:2455', ['http:', 'https:'])!,
    dashboardOrigins,
    oauthCallbackPort: port(env, 'CODEX_LB_OAUTH_CALLBACK_PORT', 1455),
    databaseUrl: url(env, 'CODEX_LB_DATABASE_URL', null, ['postgres:', 'postgresql:']),
    dataDir: expandHome(raw(env, 'CODEX_LB_DATA_DIR') ?? '~/.codex-lb'),
    redisUrl: url(env, 'CODEX_LB_REDIS_URL', null, ['redis:', 'rediss:']),
    jobLeaseMs: int(env, 'CODEX_LB_JOB_LEASE_SECONDS', 15, 2, 3600) * 1000,
    logRetentionFirstRunMs: int(env, 'CODEX_LB_LOG_RETENTION_FIRST_RUN_SECONDS', 60, 0, 86400) * 1000,
    encryptionKey: encryptionKey(env),
    bootstrapAdminPassword,
    upstreamBaseUrl: url(env, 'CODEX_LB_UPSTREAM_BASE_URL', 'https://chatgpt.com/backend-api', ['http:', 'https:'])!,
    authBaseUrl: url(env, 'CODEX_LB_AUTH_BASE_URL', 'https://auth.openai.com', ['http:', 'https:'])!,
    sessionIdleTimeoutSeconds: idle,
    sessionAbsoluteTimeoutSeconds: absolute,
    loginRateLimitPerMinute: int(env, 'CODEX_LB_LOGIN_RATE_LIMIT_PER_MINUTE', 20, 1, 100000),
    loginFailuresBeforeBackoff: int(env, 'CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF', 5, 1, 1000),
    usagePollIntervalSeconds: int(env, 'CODEX_LB_USAGE_POLL_INTERVAL_SECONDS', 60, 0, 86400),
    logRetentionDays: int(env, 'CODEX_LB_LOG_RETENTION_DAYS', 90, 0, 36500),
    auditRetentionDays: int(env, 'CODEX_LB_AUDIT_RETENTION_DAYS', 365, 0, 36500),
    trustProxy: trustProxy(env),
    dashboardUrl: dashboardOrigins[0],
    mfaPolicy: mfaPolicy(env),
    passwordHashConcurrency: int(env, 'CODEX_LB_PASSWORD_HASH_CONCURRENCY', 4, 1, 256),
    passwordHashQueue: int(env, 'CODEX_LB_PASSWORD_HASH_QUEUE', 32, 0, 100000),
    logLevel,
    logFormat: logFormat(env, production),
    metrics: flag(env, 'CODEX_LB_METRICS', true),
    metricsToken: metricsToken(env),
    proxyBodyLimitBytes: int(env, 'CODEX_LB_PROXY_BODY_LIMIT_MB', 32, 1, 1024) * 1024 * 1024,
    apiBodyLimitBytes: int(env, 'CODEX_LB_API_BODY_LIMIT_KB', 1024, 16, 1024 * 1024) * 1024,
    maxConcurrentPerOwner: int(env, 'CODEX_LB_MAX_CONCURRENT_PER_USER', 64, 1, 100000),
    maxConcurrentPerKey: int(env, 'CODEX_LB_MAX_CONCURRENT_PER_KEY', 32, 1, 100000),
    queueTimeoutMs: int(env, 'CODEX_LB_QUEUE_TIMEOUT_SECONDS', 10, 0, 600) * 1000,
    upstreamConnections: int(env, 'CODEX_LB_UPSTREAM_CONNECTIONS', 256, 1, 65536),
    upstreamHeadersTimeoutMs: int(env, 'CODEX_LB_UPSTREAM_HEADERS_TIMEOUT_SECONDS', 120, 1, 3600) * 1000,
    upstreamIdleTimeoutMs: int(env, 'CODEX_LB_UPSTREAM_IDLE_TIMEOUT_SECONDS', 300, 1, 3600) * 1000,
    streamStallTimeoutMs: int(env, 'CODEX_LB_STREAM_STALL_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    websockets: flag(env, 'CODEX_LB_WEBSOCKETS', true),
    maxSocketsPerOwner: int(env, 'CODEX_LB_MAX_WEBSOCKETS_PER_USER', 256, 1, 1000000),
    maxSocketsPerKey: int(env, 'CODEX_LB_MAX_WEBSOCKETS_PER_KEY', 128, 1, 1000000),
    websocketIdleTimeoutMs: int(env, 'CODEX_LB_WEBSOCKET_IDLE_TIMEOUT_SECONDS', 600, 1, 86400) * 1000,
    databaseConnectTimeoutMs: int(env, 'CODEX_LB_DATABASE_CONNECT_TIMEOUT_SECONDS', 3, 1, 600) * 1000,
    databaseStatementTimeoutMs: int(env, 'CODEX_LB_DATABASE_STATEMENT_TIMEOUT_SECONDS', 15, 1, 3600) * 1000,
  };
}

export const SETTINGS = Symbol('SETTINGS');
