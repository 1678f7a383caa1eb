// The only code that talks to the upstream auth server and the quota endpoint for accounts:
// code exchange, token refresh, the device flow and wham/usage. Errors are classified here so
// the rules above never parse upstream bodies.
import { Inject, Injectable } from '@nestjs/common';
import { Agent, request } from 'undici';
import { SETTINGS, type Settings } from '../../config/settings';
import type { QuotaSnapshot, QuotaWindow } from './quota';

export const OAUTH_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
export const BROWSER_REDIRECT_URI = 'http://localhost:1455/auth/callback';
export const OAUTH_SCOPE = 'openid profile email offline_access';

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  idToken: string;
}

export type RefreshFailureKind = 'permanent' | 'deactivated' | 'transient';

export class UpstreamAuthError extends Error {
  constructor(
    readonly kind: RefreshFailureKind,
    readonly code: string,
    message: string,
    /**
     * Whether a refresh token sent with this request must be treated as used: true after a
     * definite refusal, and when the outcome is unknown (timeout, reset). False after a definite
     * transient answer (5xx) or when the request certainly never left (connection refused).
     */
    readonly tokenConsumed: boolean,
  ) {
    super(message);
  }
}

const PERMANENT = new Set([
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'invalid_grant',
  'token_invalidated',
  'token_revoked',
]);

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(body: unknown): { code: string; message: string } {
  const record = (body ?? {}) as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>;
    return { code: String(e.code ?? e.type ?? 'unknown'), message: String(e.message ?? '') };
  }
  return { code: String(error ?? 'unknown'), message: String(record.error_description ?? record.message ?? '') };
}

export function classifyAuthFailure(status: number, body: unknown): UpstreamAuthError {
  const { code, message } = errorCode(body);
  const text = `${code} ${message}`.toLowerCase();
  if (text.includes('deactivated') || text.includes('account_deleted')) {
    return new UpstreamAuthError('deactivated', code, message || 'The upstream account is deactivated.', true);
  }
  if (PERMANENT.has(code)) return new UpstreamAuthError('permanent', code, message || code, true);
  if (status >= 500 || status === 429)
    return new UpstreamAuthError('transient', code, message || `HTTP ${status}`, false);
  if (status === 401 || status === 400)
    return new UpstreamAuthError('permanent', code, message || `HTTP ${status}`, true);
  return new UpstreamAuthError('transient', code, message || `HTTP ${status}`, false);
}

function networkFailure(error: unknown): UpstreamAuthError {
  const code = (error as { code?: string })?.code ?? 'network_error';
  return new UpstreamAuthError(
    'transient',
    code,
    `Could not reach the upstream: ${(error as Error)?.message ?? code}`,
    !NOT_SENT.has(code),
  );
}

function percent(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.min(100, value)) : null;
}

function parseWindow(raw: unknown): QuotaWindow | null {
  if (!raw || typeof raw !== 'object') return null;
  const w = raw as Record<string, unknown>;
  const used = percent(w.used_percent);
  if (used === null) return null;
  const seconds = typeof w.limit_window_seconds === 'number' ? w.limit_window_seconds : null;
  let resetsAt: Date | null = null;
  if (typeof w.reset_at === 'number') resetsAt = new Date(w.reset_at * 1000);
  else if (typeof w.reset_after_seconds === 'number') resetsAt = new Date(Date.now() + w.reset_after_seconds * 1000);
  return { usedPercent: used, windowMinutes: seconds !== null ? Math.round(seconds / 60) : null, resetsAt };
}

@Injectable()
export class UpstreamAuthClient {
  private readonly dispatcher = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  authorizeUrl(params: { state: string; codeChallenge: string }): string {
    const url = new URL(`${this.settings.authBaseUrl}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: OAUTH_CLIENT_ID,
      redirect_uri: BROWSER_REDIRECT_URI,
      scope: OAUTH_SCOPE,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      state: params.state,
      originator: 'codex_cli_rs',
    }).toString();
    return url.toString();
  }

  deviceVerificationUrl(): string {
    return `${this.settings.authBaseUrl}/codex/device`;
  }

  deviceRedirectUri(): string {
    return `${this.settings.authBaseUrl}/deviceauth/callback`;
  }

  exchangeCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet> {
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      client_id: OAUTH_CLIENT_ID,
      code_verifier: input.codeVerifier,
    });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.tokenRequest({
      grant_type: 'refresh_token',
      client_id: OAUTH_CLIENT_ID,
      refresh_token: refreshToken,
      scope: 'openid profile email',
    });
  }

  async deviceUserCode(): Promise<{ deviceAuthId: string; userCode: string; intervalSeconds: number }> {
    const { status, body } = await this.postJson('/api/accounts/deviceauth/usercode', { client_id: OAUTH_CLIENT_ID });
    if (status !== 200) throw classifyAuthFailure(status, body);
    const b = body as Record<string, unknown>;
    const interval = Number(b.interval ?? 5);
    return {
      deviceAuthId: String(b.device_auth_id),
      userCode: String(b.user_code ?? b.usercode),
      intervalSeconds: Number.isFinite(interval) && interval > 0 ? interval : 5,
    };
  }

  /** null while the person has not approved the code yet. */
  async deviceToken(deviceAuthId: string, userCode: string): Promise<{ code: string; codeVerifier: string } | null> {
    const { status, body } = await this.postJson('/api/accounts/deviceauth/token', {
      device_auth_id: deviceAuthId,
      user_code: userCode,
    });
    if (status === 403 || status === 404) {
      const { code } = errorCode(body);
      if (status === 403 || code.includes('pending')) return null;
    }
    if (status !== 200) throw classifyAuthFailure(status, body);
    const b = body as Record<string, unknown>;
    return { code: String(b.authorization_code), codeVerifier: String(b.code_verifier) };
  }

  async fetchUsage(accessToken: string, chatgptAccountId: string): Promise<QuotaSnapshot> {
    let response;
    try {
      response = await request(`${this.settings.upstreamBaseUrl}/wham/usage`, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'chatgpt-account-id': chatgptAccountId,
          accept: 'application/json',
        },
        dispatcher: this.dispatcher,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
    } catch (error) {
      throw networkFailure(error);
    }
    const body = await response.body.json().catch(() => null);
    if (response.statusCode !== 200) {
      const failure = classifyAuthFailure(response.statusCode, body);
      throw response.statusCode === 401
        ? new UpstreamAuthError('permanent', 'unauthorized', failure.message, true)
        : failure;
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const rateLimit = (b.rate_limit ?? {}) as Record<string, unknown>;
    const credits = (b.credits ?? {}) as Record<string, unknown>;
    const balance = Number(credits.balance);
    return {
      planType: typeof b.plan_type === 'string' ? b.plan_type : null,
      primary: parseWindow(rateLimit.primary_window),
      secondary: parseWindow(rateLimit.secondary_window),
      creditsBalance: Number.isFinite(balance) ? balance : null,
      creditsUnlimited: typeof credits.unlimited === 'boolean' ? credits.unlimited : null,
    };
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenSet> {
    let response;
    try {
      response = await request(`${this.settings.authBaseUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        dispatcher: this.dispatcher,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      throw networkFailure(error);
    }
    const body = (await response.body.json().catch(() => null)) as Record<string, unknown> | null;
    if (response.statusCode !== 200) throw classifyAuthFailure(response.statusCode, body);
    const accessToken = body?.access_token;
    const refreshToken = body?.refresh_token;
    const idToken = body?.id_token;
    if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof idToken !== 'string') {
      throw new UpstreamAuthError(
        'transient',
        'malformed_token_response',
        'The token endpoint answered without tokens.',
        true,
      );
    }
    return { accessToken, refreshToken, idToken };
  }

  private async postJson(path: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const response = await request(`${this.settings.authBaseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(payload),
        dispatcher: this.dispatcher,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      return { status: response.statusCode, body: await response.body.json().catch(() => null) };
    } catch (error) {
      throw networkFailure(error);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.close();
  }
}
