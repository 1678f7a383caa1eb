// /__fake/* JSON endpoints: the same test controls as the class, for browser tests and people.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, parseJsonObject, readBody, sendJson, str } from './http-util';
import type { FakeUpstream } from './index';
import type { AddAccountInput, FailStatus, PlanType, RefreshErrorCode } from './types';

type Json = Record<string, unknown>;

const FAIL_STATUSES = new Set([401, 402, 403, 429, 500, 502, 503]);
const REFRESH_CODES = new Set([
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'invalid_grant',
  'token_invalidated',
  'account_deactivated',
  'server_error',
]);

export class ControlRoutes {
  constructor(private readonly fake: FakeUpstream) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const name = path.slice('/__fake/'.length);
    if (req.method === 'GET') {
      req.resume();
      if (name === 'stats') return sendJson(res, 200, this.fake.stats());
      if (name === 'accounts') return sendJson(res, 200, { accounts: this.fake.seats() });
      if (name === 'requests') {
        const limit = Number(url.searchParams.get('limit') ?? 50);
        return sendJson(res, 200, { requests: this.fake.requests.slice(-Math.max(1, limit)) });
      }
      return sendJson(res, 404, { detail: `Unknown control ${name}` });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { detail: 'Use GET or POST' });
    const raw = await readBody(req);
    const body = raw.length === 0 ? {} : parseJsonObject(raw.toString('utf8'));
    if (!body) return sendJson(res, 400, { detail: 'Body must be a JSON object' });
    try {
      const result = this.post(name, body);
      if (result === undefined) return sendJson(res, 404, { detail: `Unknown control ${name}` });
      sendJson(res, name === 'accounts' ? 201 : 200, result);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // Unknown seats and bad arguments are the caller's mistake, not a server fault.
      sendJson(res, 400, { detail: err instanceof Error ? err.message : String(err) });
    }
  }

  private post(name: string, body: Json): unknown {
    const f = this.fake;
    switch (name) {
      case 'accounts': {
        const seat = f.addAccount(accountInput(body));
        return { ...seat, authJson: f.authJsonFor(seat) };
      }
      case 'fail-next': {
        const status = body.status === 'response.failed' ? 'response.failed' : Number(body.status);
        if (status !== 'response.failed' && !FAIL_STATUSES.has(status)) {
          throw new Error("status must be one of 401, 402, 403, 429, 500, 502, 503 or 'response.failed'");
        }
        f.failNext(seatOf(body), {
          status: status as FailStatus | 'response.failed',
          count: optNumber(body.count),
          resetsInSeconds: optNumber(body.resetsInSeconds),
        });
        return { ok: true };
      }
      case 'usage':
        f.setUsage(seatOf(body), {
          primary: optNumber(body.primary),
          secondary: optNumber(body.secondary),
          credits: body.credits as { hasCredits?: boolean; unlimited?: boolean; balance?: string } | undefined,
        });
        return f.usageFor(seatOf(body));
      case 'slow-first-byte':
        f.slowFirstByte(Number(body.ms ?? 0), str(body.seat));
        return { ok: true };
      case 'disconnect-mid-stream':
        f.disconnectMidStream(seatOf(body), Number(body.afterEvents ?? 3), optNumber(body.count));
        return { ok: true };
      case 'expire-access-token':
        f.expireAccessToken(seatOf(body));
        return { ok: true };
      case 'refresh-error': {
        const code = body.code === null ? null : str(body.code);
        if (code !== null && (!code || !REFRESH_CODES.has(code)))
          throw new Error(`code must be one of ${[...REFRESH_CODES].join(', ')} or null`);
        f.forceRefreshError(seatOf(body), code as RefreshErrorCode | null, optNumber(body.count));
        return { ok: true };
      }
      case 'deactivate':
        f.deactivate(seatOf(body), body.deactivated !== false);
        return { ok: true };
      case 'next-login-seat':
        f.nextLoginSeat(body.seat === null ? null : seatOf(body));
        return { ok: true };
      case 'approve-device':
        return { approved: f.approveDevice(str(body.userCode) ?? '', str(body.seat)) };
      case 'config':
        f.configure({
          recordRequests: typeof body.recordRequests === 'boolean' ? body.recordRequests : undefined,
          requestLogCap: optNumber(body.requestLogCap),
          autoApproveDevice: typeof body.autoApproveDevice === 'boolean' ? body.autoApproveDevice : undefined,
          deviceIntervalSeconds: optNumber(body.deviceIntervalSeconds),
          eventDelayMs: optNumber(body.eventDelayMs),
          usageGrowth: body.usageGrowth as { primary?: number; secondary?: number } | undefined,
        });
        return { ok: true, options: f.opts };
      case 'reset':
        f.reset({ seats: body.seats === true });
        return { ok: true };
      default:
        return undefined;
    }
  }
}

function seatOf(body: Json): string {
  const seat = str(body.seat) ?? str(body.chatgptAccountId) ?? str(body.chatgptUserId);
  if (!seat) throw new Error('seat (a chatgptAccountId or chatgptUserId) is required');
  return seat;
}

function optNumber(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}

function accountInput(body: Json): AddAccountInput {
  return {
    email: str(body.email),
    chatgptAccountId: str(body.chatgptAccountId),
    chatgptUserId: str(body.chatgptUserId),
    planType: str(body.planType) as PlanType | undefined,
    accessTokenTtlSeconds: optNumber(body.accessTokenTtlSeconds),
  };
}
