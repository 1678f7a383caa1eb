// OAuth endpoints: browser authorize (PKCE S256), token grants with rotation, device-code flow.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamContext } from './context';
import { parseJsonOrForm, readBody, sendJson, str } from './http-util';
import { randomId, randomToken } from './jwt';
import { oauthError, refreshErrorResponse } from './refresh-errors';
import { CLIENT_ID, type SeatState } from './state';

const CODE_TTL_MS = 10 * 60 * 1000;
const DEVICE_TTL_MS = 15 * 60 * 1000;
const REAL_DEVICE_REDIRECT = 'https://auth.openai.com/deviceauth/callback';

interface AuthCode {
  seat: SeatState;
  challenge: string;
  redirectUris: string[];
  expMs: number;
}

interface DeviceAuth {
  id: string;
  userCode: string;
  polls: number;
  approved: boolean;
  seat: SeatState | null;
  verifier: string | null;
  code: string | null;
  expMs: number;
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export class AuthRoutes {
  private readonly codes = new Map<string, AuthCode>();
  private readonly devices = new Map<string, DeviceAuth>();
  private readonly devicesByUserCode = new Map<string, DeviceAuth>();

  constructor(private readonly ctx: UpstreamContext) {}

  reset(): void {
    this.codes.clear();
    this.devices.clear();
    this.devicesByUserCode.clear();
  }

  /** GET /oauth/authorize: validate, pick the seat, auto-approve with a 302 back to the client. */
  authorize(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const bad = (description: string): void =>
      sendJson(res, 400, { error: 'invalid_request', error_description: description });
    if (q.get('client_id') !== CLIENT_ID) return bad('Unknown client_id');
    if (q.get('response_type') !== 'code') return bad('response_type must be code');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !isHttpUrl(redirectUri)) return bad('redirect_uri is missing or not an absolute http(s) URL');
    const challenge = q.get('code_challenge');
    if (!challenge) return bad('code_challenge is required');
    if (q.get('code_challenge_method') !== 'S256') return bad('code_challenge_method must be S256');
    const state = q.get('state');
    if (!state) return bad('state is required');

    const code = `ac_${randomToken(24)}`;
    this.codes.set(code, {
      seat: this.ctx.takeLoginSeat(),
      challenge,
      redirectUris: [redirectUri],
      expMs: Date.now() + CODE_TTL_MS,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    target.searchParams.set('scope', q.get('scope') ?? 'openid profile email offline_access');
    target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString(), 'content-length': 0 });
    res.end();
  }

  /** POST /oauth/token: authorization_code and refresh_token grants, form or JSON bodies. */
  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJsonOrForm(await readBody(req), req.headers['content-type']);
    const answer = body ? this.grant(body) : oauthError(400, 'invalid_request', 'Body must be JSON or form-encoded');
    sendJson(res, answer.status, answer.body, { 'cache-control': 'no-store' });
  }

  private grant(body: Record<string, unknown>): { status: number; body: unknown } {
    const grantType = str(body.grant_type);
    if (grantType === 'refresh_token') return this.refreshGrant(body);
    if (grantType !== 'authorization_code') {
      return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type: ${String(body.grant_type)}`);
    }
    if (str(body.client_id) !== CLIENT_ID) return oauthError(401, 'invalid_client', 'Unknown client_id');
    const codeValue = str(body.code);
    const verifier = str(body.code_verifier);
    const redirectUri = str(body.redirect_uri);
    if (!codeValue || !verifier || !redirectUri) {
      return oauthError(400, 'invalid_request', 'code, code_verifier and redirect_uri are required');
    }
    const code = this.codes.get(codeValue);
    // Codes are single use: drop it whatever the outcome, as a real server does on a failed attempt.
    this.codes.delete(codeValue);
    if (!code || code.expMs < Date.now())
      return oauthError(400, 'invalid_grant', 'Invalid or expired authorization code');
    if (!code.redirectUris.includes(redirectUri))
      return oauthError(400, 'invalid_grant', 'redirect_uri does not match');
    if (pkceChallenge(verifier) !== code.challenge) {
      return oauthError(400, 'invalid_grant', 'code_verifier does not match code_challenge');
    }
    if (code.seat.deactivated) return refreshErrorResponse('account_deactivated');
    const tokens = this.ctx.store.startFamily(code.seat);
    return { status: 200, body: tokenBody(tokens) };
  }

  private refreshGrant(body: Record<string, unknown>): { status: number; body: unknown } {
    const refreshToken = str(body.refresh_token);
    if (refreshToken) this.ctx.refreshTokensSeen.push(refreshToken);
    if (str(body.client_id) !== CLIENT_ID) return oauthError(401, 'invalid_client', 'Unknown client_id');
    if (!refreshToken) return oauthError(400, 'invalid_request', 'refresh_token is required');

    const seat = this.ctx.store.seatOfRefreshToken(refreshToken);
    if (seat?.refreshError) {
      const forced = seat.refreshError;
      forced.remaining -= 1;
      if (forced.remaining <= 0) seat.refreshError = null;
      return refreshErrorResponse(forced.code);
    }
    if (seat?.deactivated) return refreshErrorResponse('account_deactivated');

    const result = this.ctx.store.rotate(refreshToken);
    if (result.ok) return { status: 200, body: tokenBody(result.tokens) };
    if (result.reason === 'reused') return refreshErrorResponse('refresh_token_reused');
    if (result.reason === 'revoked') return refreshErrorResponse('refresh_token_invalidated');
    return refreshErrorResponse('invalid_grant');
  }

  /** POST /api/accounts/deviceauth/usercode */
  async deviceUserCode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJsonOrForm(await readBody(req), req.headers['content-type']);
    if (str(body?.client_id) !== CLIENT_ID) {
      return sendJson(res, 400, { error: { message: 'Unknown client_id', code: 'invalid_client' } });
    }
    const device: DeviceAuth = {
      id: `deviceauth_${randomId(12)}`,
      userCode: userCode(),
      polls: 0,
      approved: false,
      seat: null,
      verifier: null,
      code: null,
      expMs: Date.now() + DEVICE_TTL_MS,
    };
    this.devices.set(device.id, device);
    this.devicesByUserCode.set(device.userCode, device);
    // The real service sends the interval as a string; Codex CLI parses it from one.
    sendJson(res, 200, {
      device_auth_id: device.id,
      user_code: device.userCode,
      interval: String(this.ctx.opts.deviceIntervalSeconds),
      expires_at: new Date(device.expMs).toISOString(),
    });
  }

  /** POST /api/accounts/deviceauth/token: 403 while pending, then the code + PKCE pair. */
  async deviceToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJsonOrForm(await readBody(req), req.headers['content-type']);
    const device = this.devices.get(str(body?.device_auth_id) ?? '');
    if (!device || device.userCode !== str(body?.user_code) || device.expMs < Date.now()) {
      return sendJson(res, 404, {
        error: { message: 'Unknown or expired device authorization', code: 'deviceauth_not_found' },
      });
    }
    device.polls += 1;
    if (!device.approved && this.ctx.opts.autoApproveDevice && device.polls >= 2) this.approve(device, null);
    if (!device.approved) {
      return sendJson(res, 403, {
        error: { message: 'Device authorization is pending', code: 'deviceauth_authorization_pending' },
      });
    }
    if (!device.code || !device.verifier) {
      const verifier = randomToken(48);
      const code = `ac_${randomToken(24)}`;
      this.codes.set(code, {
        seat: device.seat ?? this.ctx.takeLoginSeat(),
        challenge: pkceChallenge(verifier),
        redirectUris: [`${this.ctx.authBaseUrl}/deviceauth/callback`, REAL_DEVICE_REDIRECT],
        expMs: Date.now() + CODE_TTL_MS,
      });
      device.code = code;
      device.verifier = verifier;
    }
    sendJson(res, 200, {
      authorization_code: device.code,
      code_challenge: pkceChallenge(device.verifier),
      code_verifier: device.verifier,
    });
  }

  /** Approve a pending device code, optionally logging it into a given seat. False when unknown. */
  approveDevice(code: string, seat: SeatState | null): boolean {
    const device = this.devicesByUserCode.get(code.trim().toUpperCase());
    if (!device || device.expMs < Date.now()) return false;
    this.approve(device, seat);
    return true;
  }

  /** GET/POST /codex/device: a tiny page where a person types the code, as on the real site. */
  async devicePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let message = '';
    if (req.method === 'POST') {
      const body = parseJsonOrForm(await readBody(req), req.headers['content-type']);
      const code = str(body?.user_code) ?? '';
      message = this.approveDevice(code, null) ? `Approved ${code}. You can close this page.` : `Unknown code ${code}.`;
    }
    const html =
      '<!doctype html><title>Fake ChatGPT device login</title><h1>Device login</h1>' +
      `<p>${escapeHtml(message)}</p><form method="post"><input name="user_code" placeholder="ABCD-12345">` +
      '<button type="submit">Approve</button></form>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(html);
  }

  private approve(device: DeviceAuth, seat: SeatState | null): void {
    device.approved = true;
    device.seat = seat ?? device.seat ?? this.ctx.takeLoginSeat();
  }
}

function tokenBody(tokens: { accessToken: string; refreshToken: string; idToken: string; expiresIn: number }) {
  return {
    id_token: tokens.idToken,
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    scope: 'openid profile email offline_access',
  };
}

function userCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomToken(12);
  let out = '';
  for (let i = 0; i < 9; i += 1) out += alphabet[bytes.charCodeAt(i) % alphabet.length];
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
