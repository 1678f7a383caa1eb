// Seats, token families and per-seat simulation state. Everything the routes and controls share.
import { randomId, randomToken, signJwt } from './jwt';
import type { AddAccountInput, FailNextOptions, FakeSeat, PlanType, RefreshErrorCode, SeatRef } from './types';

export const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const ISSUER = 'https://auth.openai.com';
const AUTH_CLAIM = 'https://api.openai.com/auth';

export const PRIMARY_WINDOW_MINUTES = 300;
export const SECONDARY_WINDOW_MINUTES = 10080;

/** One login session; a reused refresh token revokes every token issued in it. */
export interface Family {
  id: string;
  seat: SeatState;
  revoked: boolean;
}

interface AccessEntry {
  family: Family;
  expMs: number;
}

interface RefreshEntry {
  family: Family;
  used: boolean;
}

export interface SeatState {
  seat: FakeSeat;
  ttlSeconds: number | null;
  deactivated: boolean;
  primaryUsed: number;
  secondaryUsed: number;
  primaryResetAt: number;
  secondaryResetAt: number;
  credits: { hasCredits: boolean; unlimited: boolean; balance: string };
  failQueue: FailNextOptions[];
  refreshError: { code: RefreshErrorCode; remaining: number } | null;
  disconnect: { afterEvents: number; remaining: number } | null;
  slowFirstByteMs: number;
  /** prompt_cache_key -> input tokens of the last request that used it. */
  promptCache: Map<string, number>;
  requestCount: number;
  refreshCount: number;
}

export type AccessCheck =
  { ok: true; seat: SeatState } | { ok: false; code: 'token_expired' | 'token_invalidated' | 'invalid_token' };

const PROMPT_CACHE_LIMIT = 512;

export class SeatStore {
  readonly seats = new Map<string, SeatState>();
  private readonly access = new Map<string, AccessEntry>();
  private readonly refresh = new Map<string, RefreshEntry>();
  private readonly secret = randomToken(24);
  private seq = 0;

  constructor(private readonly defaultTtlSeconds: number) {}

  addAccount(input: AddAccountInput = {}): SeatState {
    this.seq += 1;
    const n = this.seq;
    const now = nowSeconds();
    const seat: FakeSeat = {
      chatgptAccountId: input.chatgptAccountId ?? `acct-${randomId(8)}`,
      chatgptUserId: input.chatgptUserId ?? `user-${randomId(8)}`,
      email: input.email ?? `seat${n}-${randomId(3)}@example.test`,
      planType: input.planType ?? ('plus' as PlanType),
      accessToken: '',
      refreshToken: '',
      idToken: '',
    };
    if (this.seats.has(seat.chatgptUserId)) {
      throw new Error(`seat ${seat.chatgptUserId} already exists`);
    }
    const state: SeatState = {
      seat,
      ttlSeconds: input.accessTokenTtlSeconds ?? null,
      deactivated: false,
      primaryUsed: 0,
      secondaryUsed: 0,
      primaryResetAt: now + PRIMARY_WINDOW_MINUTES * 60,
      secondaryResetAt: now + SECONDARY_WINDOW_MINUTES * 60,
      credits: { hasCredits: false, unlimited: false, balance: '0' },
      failQueue: [],
      refreshError: null,
      disconnect: null,
      slowFirstByteMs: 0,
      promptCache: new Map(),
      requestCount: 0,
      refreshCount: 0,
    };
    this.seats.set(seat.chatgptUserId, state);
    this.startFamily(state);
    return state;
  }

  /** Seats a reference names: a seat object or user id names one, an account id may name several. */
  resolve(ref: SeatRef): SeatState[] {
    const key = typeof ref === 'string' ? ref : ref.chatgptUserId;
    const direct = this.seats.get(key);
    if (direct) return [direct];
    const out: SeatState[] = [];
    for (const s of this.seats.values()) if (s.seat.chatgptAccountId === key) out.push(s);
    if (out.length === 0) throw new Error(`unknown seat or account: ${key}`);
    return out;
  }

  /** A fresh login: new family, new token triple, written into the live seat object. */
  startFamily(state: SeatState): { accessToken: string; refreshToken: string; idToken: string; expiresIn: number } {
    const family: Family = { id: randomId(8), seat: state, revoked: false };
    return this.issue(family);
  }

  /** Refresh-token grant with rotation and reuse detection. */
  rotate(
    refreshToken: string,
  ):
    | { ok: true; tokens: ReturnType<SeatStore['issue']>; seat: SeatState }
    | { ok: false; reason: 'unknown' | 'reused' | 'revoked'; seat?: SeatState } {
    const entry = this.refresh.get(refreshToken);
    if (!entry) return { ok: false, reason: 'unknown' };
    const { family } = entry;
    if (entry.used) {
      // Reuse means the token leaked or a client raced itself: kill the whole session.
      family.revoked = true;
      return { ok: false, reason: 'reused', seat: family.seat };
    }
    if (family.revoked) return { ok: false, reason: 'revoked', seat: family.seat };
    entry.used = true;
    family.seat.refreshCount += 1;
    return { ok: true, tokens: this.issue(family), seat: family.seat };
  }

  /** Peek at a refresh token's seat without consuming it (for forced errors). */
  seatOfRefreshToken(refreshToken: string): SeatState | undefined {
    return this.refresh.get(refreshToken)?.family.seat;
  }

  checkAccess(token: string): AccessCheck {
    const entry = this.access.get(token);
    if (!entry) return { ok: false, code: 'invalid_token' };
    if (entry.family.revoked) return { ok: false, code: 'token_invalidated' };
    if (entry.expMs <= Date.now()) return { ok: false, code: 'token_expired' };
    return { ok: true, seat: entry.family.seat };
  }

  /** Server-side expiry of every access token a seat holds (the JWT exp claim is unchanged). */
  expireAccess(state: SeatState): void {
    for (const entry of this.access.values()) {
      if (entry.family.seat === state) entry.expMs = 0;
    }
  }

  /** Revoke every family of the seat, as a password change or admin action would. */
  revokeAll(state: SeatState): void {
    for (const entry of this.refresh.values()) {
      if (entry.family.seat === state) entry.family.revoked = true;
    }
  }

  clear(): void {
    this.seats.clear();
    this.access.clear();
    this.refresh.clear();
  }

  private issue(family: Family): { accessToken: string; refreshToken: string; idToken: string; expiresIn: number } {
    const state = family.seat;
    const seat = state.seat;
    const ttl = state.ttlSeconds ?? this.defaultTtlSeconds;
    const iat = nowSeconds();
    const exp = iat + ttl;
    const auth = {
      chatgpt_account_id: seat.chatgptAccountId,
      chatgpt_user_id: seat.chatgptUserId,
      chatgpt_plan_type: seat.planType,
      user_id: seat.chatgptUserId,
    };
    const accessToken = signJwt(
      {
        iss: ISSUER,
        aud: ['https://api.openai.com/v1'],
        sub: seat.chatgptUserId,
        iat,
        nbf: iat,
        exp,
        jti: randomId(8),
        scp: ['openid', 'profile', 'email', 'offline_access'],
        client_id: CLIENT_ID,
        [AUTH_CLAIM]: auth,
        'https://api.openai.com/profile': { email: seat.email, email_verified: true },
      },
      this.secret,
    );
    const idToken = signJwt(
      {
        iss: ISSUER,
        aud: [CLIENT_ID],
        sub: seat.chatgptUserId,
        email: seat.email,
        email_verified: true,
        iat,
        auth_time: iat,
        // The id token outlives the access token, as the real one does.
        exp: iat + Math.max(ttl, 3600),
        [AUTH_CLAIM]: { ...auth, organizations: [{ id: seat.chatgptAccountId, is_default: true, role: 'owner' }] },
      },
      this.secret,
    );
    const refreshToken = `rt_${randomToken(32)}`;
    this.access.set(accessToken, { family, expMs: exp * 1000 });
    this.refresh.set(refreshToken, { family, used: false });
    seat.accessToken = accessToken;
    seat.refreshToken = refreshToken;
    seat.idToken = idToken;
    return { accessToken, refreshToken, idToken, expiresIn: ttl };
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Roll a window forward when its reset time has passed, clearing its usage. */
export function rollWindows(state: SeatState): void {
  const now = nowSeconds();
  if (state.primaryResetAt <= now) {
    state.primaryUsed = 0;
    state.primaryResetAt = now + PRIMARY_WINDOW_MINUTES * 60;
  }
  if (state.secondaryResetAt <= now) {
    state.secondaryUsed = 0;
    state.secondaryResetAt = now + SECONDARY_WINDOW_MINUTES * 60;
  }
}

export function rememberPromptCache(state: SeatState, key: string, inputTokens: number): number {
  const previous = state.promptCache.get(key);
  state.promptCache.delete(key);
  state.promptCache.set(key, inputTokens);
  if (state.promptCache.size > PROMPT_CACHE_LIMIT) {
    const oldest = state.promptCache.keys().next().value;
    if (oldest !== undefined) state.promptCache.delete(oldest);
  }
  // A repeated key shares the prefix the earlier request sent; model it as the smaller input.
  return previous === undefined ? 0 : Math.min(previous, inputTokens);
}
