// Public types of the fake upstream: options, seats, controls and the request log.
import type { IncomingHttpHeaders } from 'node:http';

export type PlanType = 'free' | 'plus' | 'pro' | 'team' | 'business' | 'enterprise' | 'edu';

/** A ChatGPT seat (one user in one workspace). Token fields always hold the newest issued pair. */
export interface FakeSeat {
  chatgptAccountId: string;
  chatgptUserId: string;
  email: string;
  planType: PlanType;
  accessToken: string;
  refreshToken: string;
  idToken: string;
}

/** A seat object, its chatgptUserId, or a chatgptAccountId (every seat of that workspace). */
export type SeatRef = FakeSeat | string;

export interface AddAccountInput {
  email?: string;
  chatgptAccountId?: string;
  chatgptUserId?: string;
  planType?: PlanType;
  /** Lifetime of access tokens issued to this seat; <= 0 issues already-expired tokens. */
  accessTokenTtlSeconds?: number;
}

export interface FakeUpstreamOptions {
  port?: number;
  host?: string;
  /** Keep a log of backend requests (headers + parsed body). Turn off for benchmarks. */
  recordRequests?: boolean;
  /** Most recent entries kept in the request log. */
  requestLogCap?: number;
  /** Default access token lifetime. */
  accessTokenTtlSeconds?: number;
  /** Approve a pending device authorization on its second poll. */
  autoApproveDevice?: boolean;
  /** Polling interval advertised by the device flow. */
  deviceIntervalSeconds?: number;
  /**
   * Percent added to the primary / secondary window per served response (default 0.1 / 0.02, so a
   * seat hits its 5-hour limit after 1000 responses). Benchmarks should pass 0 for both.
   */
  usageGrowth?: { primary?: number; secondary?: number };
  /** Pause between SSE events (0 writes the whole stream at once). */
  eventDelayMs?: number;
  /** Frame SSE events with CRLF line endings (legal SSE; the real backend uses LF). */
  crlf?: boolean;
  /** Pad the terminal event's response with instructions of this many characters (a long session). */
  terminalPaddingChars?: number;
  /** Answer WebSocket upgrades on /codex/responses (default true); false refuses them with 426. */
  websockets?: boolean;
  /** A WebSocket's life before websocket_connection_limit_reached (default 60 minutes). */
  websocketMaxAgeMs?: number;
}

/** Options a running fake can change through `configure()` or `POST /__fake/config`. */
export type RuntimeOptions = Pick<
  FakeUpstreamOptions,
  | 'recordRequests'
  | 'requestLogCap'
  | 'autoApproveDevice'
  | 'deviceIntervalSeconds'
  | 'usageGrowth'
  | 'eventDelayMs'
  | 'crlf'
  | 'terminalPaddingChars'
  | 'websockets'
  | 'websocketMaxAgeMs'
>;

export type FailStatus = 401 | 402 | 403 | 429 | 500 | 502 | 503;

export interface FailNextOptions {
  /** An HTTP status, or 'response.failed': a 200 stream that ends in a response.failed event. */
  status: FailStatus | 'response.failed';
  /** How many upcoming requests fail (default 1). */
  count?: number;
  /** For 429: seconds until the usage window resets (default 3600). */
  resetsInSeconds?: number;
}

export type RefreshErrorCode =
  | 'refresh_token_expired'
  | 'refresh_token_reused'
  | 'refresh_token_invalidated'
  | 'invalid_grant'
  | 'token_invalidated'
  | 'account_deactivated'
  | 'server_error';

export interface UsageInput {
  primary?: number;
  secondary?: number;
  credits?: { hasCredits?: boolean; unlimited?: boolean; balance?: string };
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  chatgptAccountId: string | null;
  accessToken: string | null;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Set for a WebSocket turn (`response.create` frame); the headers are the upgrade's. */
  transport?: 'websocket';
}

export interface CodexAuthJson {
  OPENAI_API_KEY: null;
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string };
  last_refresh: string;
}
