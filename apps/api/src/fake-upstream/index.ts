// The fake ChatGPT upstream: one node:http server speaking the OAuth and Codex backend wire formats.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthRoutes } from './auth-routes';
import { BackendRoutes, usageBody } from './backend-routes';
import type { ResolvedOptions, UpstreamContext } from './context';
import { ControlRoutes } from './control-routes';
import { HttpError, sendJson } from './http-util';
import { SeatStore, type SeatState } from './state';
import { WebSocketRoutes } from './websocket-routes';
import type {
  AddAccountInput,
  CodexAuthJson,
  FailNextOptions,
  FakeSeat,
  FakeUpstreamOptions,
  RecordedRequest,
  RefreshErrorCode,
  RuntimeOptions,
  SeatRef,
  UsageInput,
} from './types';

export * from './types';
export { CLIENT_ID } from './state';
export { pkceChallenge } from './auth-routes';
export { parseSse, type SseEvent } from './sse-parse';

export class FakeUpstream implements UpstreamContext {
  readonly store: SeatStore;
  readonly opts: ResolvedOptions;
  readonly refreshTokensSeen: string[] = [];
  baseUrl = '';
  authBaseUrl = '';
  backendBaseUrl = '';
  port = 0;

  private readonly server: Server;
  private readonly auth: AuthRoutes;
  private readonly backend: BackendRoutes;
  private readonly controls: ControlRoutes;
  private readonly websockets: WebSocketRoutes;
  private loginQueue: SeatState[] = [];

  private constructor(options: FakeUpstreamOptions) {
    this.opts = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      recordRequests: options.recordRequests ?? true,
      requestLogCap: options.requestLogCap ?? 1000,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      autoApproveDevice: options.autoApproveDevice ?? true,
      deviceIntervalSeconds: options.deviceIntervalSeconds ?? 5,
      eventDelayMs: options.eventDelayMs ?? 0,
      crlf: options.crlf ?? false,
      terminalPaddingChars: options.terminalPaddingChars ?? 0,
      websockets: options.websockets ?? true,
      websocketMaxAgeMs: options.websocketMaxAgeMs ?? 60 * 60_000,
      usageGrowth: { primary: options.usageGrowth?.primary ?? 0.1, secondary: options.usageGrowth?.secondary ?? 0.02 },
    };
    this.store = new SeatStore(this.opts.accessTokenTtlSeconds);
    this.auth = new AuthRoutes(this);
    this.backend = new BackendRoutes(this);
    this.controls = new ControlRoutes(this);
    this.websockets = new WebSocketRoutes(this, this.backend);
    this.websockets.options.enabled = this.opts.websockets;
    this.websockets.options.maxAgeMs = this.opts.websocketMaxAgeMs;
    this.server = createServer((req, res) => void this.route(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      if (!this.websockets.upgrade(req, socket, head, q === -1 ? url : url.slice(0, q))) socket.destroy();
    });
    // Long keep-alive so a benchmark's pooled connections are not torn down between requests.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  static async start(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
    const fake = new FakeUpstream(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(fake.opts.port, fake.opts.host, () => resolve());
    });
    const { port } = fake.server.address() as AddressInfo;
    const host = fake.opts.host.includes(':') ? `[${fake.opts.host}]` : fake.opts.host;
    fake.port = port;
    fake.baseUrl = `http://${host}:${port}`;
    fake.authBaseUrl = fake.baseUrl;
    fake.backendBaseUrl = `${fake.baseUrl}/backend-api`;
    return fake;
  }

  close(): Promise<void> {
    this.websockets.closeAll();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- seats ----

  addAccount(input: AddAccountInput = {}): FakeSeat {
    return this.store.addAccount(input).seat;
  }

  seats(): FakeSeat[] {
    return [...this.store.seats.values()].map((s) => s.seat);
  }

  authJsonFor(seat: SeatRef): CodexAuthJson {
    const s = this.one(seat).seat;
    return {
      OPENAI_API_KEY: null,
      tokens: {
        id_token: s.idToken,
        access_token: s.accessToken,
        refresh_token: s.refreshToken,
        account_id: s.chatgptAccountId,
      },
      last_refresh: new Date().toISOString(),
    };
  }

  /** Queue a seat for the next authorization (browser or device); null clears the queue. */
  nextLoginSeat(seat: SeatRef | null): void {
    if (seat === null) this.loginQueue = [];
    else this.loginQueue.push(this.one(seat));
  }

  takeLoginSeat(): SeatState {
    return this.loginQueue.shift() ?? this.store.addAccount();
  }

  approveDevice(userCode: string, seat?: SeatRef): boolean {
    return this.auth.approveDevice(userCode, seat ? this.one(seat) : null);
  }

  // ---- controls ----

  /** Change behaviour options of a running fake (not port, host or token lifetime). */
  configure(options: RuntimeOptions): void {
    const o = this.opts;
    if (options.recordRequests !== undefined) o.recordRequests = options.recordRequests;
    if (options.requestLogCap !== undefined) o.requestLogCap = options.requestLogCap;
    if (options.autoApproveDevice !== undefined) o.autoApproveDevice = options.autoApproveDevice;
    if (options.deviceIntervalSeconds !== undefined) o.deviceIntervalSeconds = options.deviceIntervalSeconds;
    if (options.eventDelayMs !== undefined) o.eventDelayMs = options.eventDelayMs;
    if (options.crlf !== undefined) o.crlf = options.crlf;
    if (options.terminalPaddingChars !== undefined) o.terminalPaddingChars = options.terminalPaddingChars;
    if (options.websockets !== undefined) o.websockets = this.websockets.options.enabled = options.websockets;
    if (options.websocketMaxAgeMs !== undefined) {
      o.websocketMaxAgeMs = this.websockets.options.maxAgeMs = options.websocketMaxAgeMs;
    }
    if (options.usageGrowth?.primary !== undefined) o.usageGrowth.primary = options.usageGrowth.primary;
    if (options.usageGrowth?.secondary !== undefined) o.usageGrowth.secondary = options.usageGrowth.secondary;
  }

  setUsage(seat: SeatRef, usage: UsageInput): void {
    for (const s of this.store.resolve(seat)) {
      if (usage.primary !== undefined) s.primaryUsed = usage.primary;
      if (usage.secondary !== undefined) s.secondaryUsed = usage.secondary;
      if (usage.credits) Object.assign(s.credits, usage.credits);
    }
  }

  /** Fail the next `count` generation requests (responses and compact) of the seat. */
  failNext(seat: SeatRef, options: FailNextOptions): void {
    for (const s of this.store.resolve(seat)) s.failQueue.push({ ...options, count: options.count ?? 1 });
  }

  /** Delay before response headers: for one seat, or for every seat when `seat` is omitted. */
  slowFirstByte(ms: number, seat?: SeatRef): void {
    if (seat === undefined) this.backend.slowFirstByteMs = ms;
    else for (const s of this.store.resolve(seat)) s.slowFirstByteMs = ms;
  }

  /** The next `count` streams of the seat send `afterEvents` SSE frames, then the socket dies. */
  disconnectMidStream(seat: SeatRef, afterEvents: number, count = 1): void {
    for (const s of this.store.resolve(seat)) s.disconnect = { afterEvents, remaining: count };
  }

  expireAccessToken(seat: SeatRef): void {
    for (const s of this.store.resolve(seat)) this.store.expireAccess(s);
  }

  /** Make refreshes fail with `code` (`count` times, default until cleared with null). */
  forceRefreshError(seat: SeatRef, code: RefreshErrorCode | null, count = Number.POSITIVE_INFINITY): void {
    for (const s of this.store.resolve(seat)) s.refreshError = code ? { code, remaining: count } : null;
  }

  deactivate(seat: SeatRef, deactivated = true): void {
    for (const s of this.store.resolve(seat)) s.deactivated = deactivated;
  }

  /** Revoke every token family of the seat (as a sign-out everywhere would). */
  revokeTokens(seat: SeatRef): void {
    for (const s of this.store.resolve(seat)) this.store.revokeAll(s);
  }

  // ---- observation ----

  /** WebSocket traffic: upgrades accepted, turns generated, warm-ups answered, sockets open now. */
  get websocketStats(): { upgrades: number; turns: number; warmups: number; open: number } {
    const ws = this.websockets;
    return { upgrades: ws.upgrades, turns: ws.turns, warmups: ws.warmups, open: ws.open };
  }

  get requests(): RecordedRequest[] {
    return this.backend.log;
  }

  /** Generation requests served per chatgptAccountId (seats of one workspace add up). */
  requestsBySeat(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.store.seats.values()) {
      const id = s.seat.chatgptAccountId;
      out[id] = (out[id] ?? 0) + s.requestCount;
    }
    return out;
  }

  requestCount(seat: SeatRef): number {
    return this.store.resolve(seat).reduce((n, s) => n + s.requestCount, 0);
  }

  refreshCount(seat: SeatRef): number {
    return this.store.resolve(seat).reduce((n, s) => n + s.refreshCount, 0);
  }

  usageFor(seat: SeatRef): ReturnType<typeof usageBody> {
    return usageBody(this.one(seat));
  }

  stats() {
    const seats = [...this.store.seats.values()].map((s) => ({
      chatgptAccountId: s.seat.chatgptAccountId,
      chatgptUserId: s.seat.chatgptUserId,
      email: s.seat.email,
      planType: s.seat.planType,
      requests: s.requestCount,
      refreshes: s.refreshCount,
      primaryUsedPercent: s.primaryUsed,
      secondaryUsedPercent: s.secondaryUsed,
      deactivated: s.deactivated,
    }));
    return {
      seats,
      requestsBySeat: this.requestsBySeat(),
      totalRequests: seats.reduce((n, s) => n + s.requests, 0),
      totalRefreshes: seats.reduce((n, s) => n + s.refreshes, 0),
      refreshTokensSeen: this.refreshTokensSeen.length,
      recordedRequests: this.backend.log.length,
      websockets: this.websocketStats,
    };
  }

  /**
   * Clear controls, counters and logs. Seats and their tokens survive (a gateway holding them keeps
   * working) unless `seats: true`, which forgets every seat, token, code and device login.
   */
  reset(options: { seats?: boolean } = {}): void {
    for (const s of this.store.seats.values()) {
      s.failQueue = [];
      s.refreshError = null;
      s.disconnect = null;
      s.slowFirstByteMs = 0;
      s.deactivated = false;
      s.requestCount = 0;
      s.refreshCount = 0;
      s.primaryUsed = 0;
      s.secondaryUsed = 0;
      s.promptCache.clear();
    }
    this.backend.slowFirstByteMs = 0;
    this.backend.log.length = 0;
    this.websockets.reset();
    this.refreshTokensSeen.length = 0;
    this.loginQueue = [];
    if (options.seats) {
      this.store.clear();
      this.auth.reset();
    }
  }

  private one(seat: SeatRef): SeatState {
    return this.store.resolve(seat)[0];
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const method = req.method ?? 'GET';
    try {
      if (path.startsWith('/backend-api/')) return await this.backend.handle(req, res, path);
      if (path === '/oauth/token' && method === 'POST') return await this.auth.token(req, res);
      if (path === '/oauth/authorize' && method === 'GET')
        return this.auth.authorize(res, new URL(rawUrl, this.baseUrl));
      if (path === '/api/accounts/deviceauth/usercode' && method === 'POST')
        return await this.auth.deviceUserCode(req, res);
      if (path === '/api/accounts/deviceauth/token' && method === 'POST') return await this.auth.deviceToken(req, res);
      if (path === '/codex/device') return await this.auth.devicePage(req, res);
      if (path.startsWith('/__fake/')) return await this.controls.handle(req, res, path, new URL(rawUrl, this.baseUrl));
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      req.resume();
      sendJson(res, 404, { detail: 'Not Found' });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) sendJson(res, err.status, err.body);
      else sendJson(res, 500, { detail: err instanceof Error ? err.message : 'Internal error' });
    }
  }
}
