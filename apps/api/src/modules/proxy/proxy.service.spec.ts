// The exchange lifecycle's cleanup on every exit path: whatever ends a request (a limit refusal, no
// account, an upstream failure, a client gone before or during the stream, a stall, the upstream
// cutting the stream, a throwing adapter, success), the upstream answer is let go, the reservation
// is settled or released exactly once, and exactly one log row is written.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../common/api-error';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import type { Reservation } from '../api-keys/limits/api-key-limiter';
import type { AccountPool, PooledAccount } from './routing/account-pool';
import { Exchange } from './exchange';
import { ProxyService, type Adapter, type ProxyRequest } from './proxy.service';
import type { UpstreamClient } from './upstream/upstream.client';
import type { UsageMeter, Outcome } from './metering/usage-meter';

/** An upstream answer driven by the spec. */
class ScriptedAnswer {
  statusCode = 200;
  headers = {};
  destroyed = false;
  ready: Promise<ScriptedAnswer>;
  private sink: ((chunk: Buffer) => boolean | void) | null = null;
  private settle: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private answer!: { resolve: (v: ScriptedAnswer) => void; reject: (e: Error) => void };

  constructor() {
    this.ready = new Promise((resolve, reject) => (this.answer = { resolve, reject }));
  }
  respond(status = 200): void {
    this.statusCode = status;
    this.answer.resolve(this);
  }
  refuse(error: Error): void {
    this.answer.reject(error);
  }
  header(): string | undefined {
    return undefined;
  }
  json(): Promise<unknown> {
    return Promise.resolve({});
  }
  resume(): void {}
  forEach(sink: (chunk: Buffer) => boolean | void): Promise<void> {
    this.sink = sink;
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }
  send(text: string): void {
    this.sink?.(Buffer.from(text));
  }
  end(): void {
    this.settle?.resolve();
  }
  cut(): void {
    this.settle?.reject(new Error('socket closed'));
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.answer.reject(new Error('aborted'));
    this.settle?.reject(new Error('aborted'));
  }
}

/** A ServerResponse stand-in: enough for the exchange (close, write, drain, end). */
class FakeResponse extends EventEmitter {
  headersSent = false;
  statusCode = 200;
  writableEnded = false;
  writableFinished = false;
  writableCorked = 0;
  writableLength = 0;
  destroyed = false;
  written: string[] = [];
  headers: Record<string, unknown> = {};
  /** When false, write() reports a full buffer that never drains. */
  accepting = true;
  setHeader(name: string, value: unknown) {
    this.headers[name] = value;
    return this;
  }
  writeHead(status: number, headers: Record<string, unknown> = {}) {
    Object.assign(this.headers, headers);
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  cork() {}
  uncork() {}
  write(chunk: Buffer | string) {
    this.headersSent = true;
    this.written.push(chunk.toString());
    if (!this.accepting) this.writableLength += chunk.length;
    return this.accepting;
  }
  end(chunk?: string) {
    if (chunk) this.written.push(chunk);
    this.writableEnded = true;
    this.writableFinished = true;
    this.emit('finish');
    this.emit('close');
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
  /** The client goes away. */
  hangUp() {
    this.destroy();
  }
}

const account = {
  id: 'acc-1',
  ownerUserId: 'owner-1',
  chatgptAccountId: 'cgpt-1',
  email: null,
  primaryUsed: 0,
  secondaryUsed: 0,
  primaryResetsAt: null,
  secondaryResetsAt: null,
  accessToken: 'token',
  tokenExpiresAt: null,
  quotaObservedAt: 0,
  status: 'active',
  statusReason: null,
  cooldownUntil: 0,
  backoffUntil: 0,
} as PooledAccount;

const key = { id: 'key-1', ownerUserId: 'owner-1', accountIds: null, limits: [] } as unknown as AuthenticatedKey;

interface World {
  service: ProxyService;
  answers: ScriptedAnswer[];
  settled: Array<'settled' | 'released'>;
  outcomes: Array<{ outcome: Outcome; delivered: boolean }>;
  reserveError: Error | null;
  settleError: Error | null;
  accounts: PooledAccount[];
}

function world(): World {
  const w: World = {
    answers: [],
    settled: [],
    outcomes: [],
    reserveError: null,
    settleError: null,
    accounts: [account],
  } as unknown as World;
  const pool = {
    forOwner: () => w.accounts,
    effectivePool: () => w.accounts,
    wantsQuota: () => false,
    observeQuota: () => undefined,
    backOff: () => undefined,
    coolDown: () => undefined,
    report: () => undefined,
    setAccessToken: () => undefined,
  } as unknown as AccountPool;
  const upstream = {
    open: () => {
      const answer = new ScriptedAnswer();
      w.answers.push(answer);
      return answer;
    },
  } as unknown as UpstreamClient;
  const limiter = {
    reserve: async (): Promise<Reservation> => {
      if (w.reserveError) throw w.reserveError;
      let done = false;
      return {
        id: 'r',
        settle: async () => {
          if (!done) w.settled.push('settled');
          done = true;
        },
        release: async () => {
          if (!done) w.settled.push('released');
          done = true;
        },
      };
    },
  };
  const meter = {
    settle: async (
      _req: ProxyRequest,
      reservation: Reservation | null,
      _account: string | null,
      outcome: Outcome,
      delivered: boolean,
    ) => {
      w.outcomes.push({ outcome, delivered });
      if (w.settleError) throw w.settleError;
      if (!reservation) return;
      if (outcome.status === 'success' || (delivered && outcome.status === 'cancelled')) await reservation.settle(null);
      else await reservation.release();
    },
    metrics: { upstreamAnswered: () => undefined },
  } as unknown as UsageMeter;
  w.service = new ProxyService(pool, {} as never, upstream, limiter as never, meter);
  return w;
}

function exchange(stallMs = 50): { exchange: Exchange; res: FakeResponse } {
  const res = new FakeResponse();
  const req = { headers: {} } as IncomingMessage;
  return { exchange: new Exchange(req, res as unknown as ServerResponse, '', null, stallMs), res };
}

function request(ex: Exchange): ProxyRequest {
  return {
    exchange: ex,
    key,
    route: '/backend-api/codex/responses',
    model: 'gpt-5.1-codex',
    stream: true,
    path: '/codex/responses',
    body: '{}',
    accept: 'text/event-stream',
    hardKeys: [],
    softKey: null,
  };
}

/** A pass-through adapter that reports a completed response once it saw "completed". */
function passthrough(ex: Exchange, seen: { text: string }): Adapter {
  return {
    start: () => ex.streamHead('text/event-stream'),
    chunk: (chunk, open) => {
      seen.text += chunk.toString();
      return ex.write(chunk, () => open.response.resume());
    },
    finish: () => {
      ex.end();
      const terminal = seen.text.includes('completed') ? 'completed' : null;
      return { terminal, errorCode: null, usage: null, responseId: null, model: null, httpStatus: 200 };
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

/** The upstream answers 200 and one delta reaches the adapter. */
async function midStream(w: World): Promise<void> {
  await tick();
  w.answers[0].respond();
  await tick();
  w.answers[0].send('event: response.output_text.delta\n\n');
}

describe('ProxyService.run: cleanup on every exit path', () => {
  it('success: settled once, one success row, nothing in flight', async () => {
    const w = world();
    const { exchange: ex } = exchange();
    ex.body = Buffer.from('{}');
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await tick();
    w.answers[0].respond();
    await tick();
    w.answers[0].send('event: response.completed\n\n');
    w.answers[0].end();
    await run;
    expect(w.settled).toEqual(['settled']);
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0].outcome.status).toBe('success');
    expect(w.service.inFlight).toBe(0);
    // Kept as its kind's last exchange (warm-exchanges.ts); the exchange itself lets go of the body.
    expect(w.service.warm.kept('/backend-api/codex/responses', true)?.req.exchange).toBe(ex);
    expect(ex.body).toBeNull();
  });

  it('a limit refusal: no upstream call, one error row, nothing held', async () => {
    const w = world();
    w.reserveError = new ApiError(429, 'rate_limit_exceeded', 'over');
    const { exchange: ex } = exchange();
    await expect(w.service.run(request(ex), passthrough(ex, { text: '' }))).rejects.toThrow('over');
    expect(w.answers).toHaveLength(0);
    expect(w.settled).toEqual([]);
    expect(w.outcomes.map((o) => [o.outcome.status, o.outcome.httpStatus])).toEqual([['error', 429]]);
    expect(w.service.inFlight).toBe(0);
  });

  it('no usable account: reservation released, one row with the selection code', async () => {
    const w = world();
    w.accounts = [];
    const { exchange: ex } = exchange();
    await expect(w.service.run(request(ex), passthrough(ex, { text: '' }))).rejects.toMatchObject({
      code: 'no_accounts',
    });
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'error', errorCode: 'no_accounts' });
  });

  it('the upstream unreachable on three accounts: released, one 502 row', async () => {
    const w = world();
    const { exchange: ex } = exchange();
    w.accounts = [account, { ...account, id: 'acc-2' }, { ...account, id: 'acc-3' }];
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    const failed = expect(run).rejects.toMatchObject({ code: 'upstream_unavailable' });
    for (let i = 0; i < 3; i++) {
      await tick();
      w.answers[i].refuse(new Error('ECONNREFUSED'));
    }
    await failed;
    expect(w.answers).toHaveLength(3);
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0].outcome.httpStatus).toBe(502);
  });

  it('the client gone before the upstream answered: the upstream request is aborted, released, cancelled 499', async () => {
    const w = world();
    const { exchange: ex, res } = exchange();
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await tick();
    res.hangUp();
    await expect(run).rejects.toMatchObject({ code: 'client_closed' });
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'cancelled', httpStatus: 499, errorCode: 'client_closed' });
  });

  it('a key revoked before the upstream answered: the client is told 401, the upstream aborted, cancelled 401', async () => {
    const w = world();
    const { exchange: ex, res } = exchange();
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await tick();
    ex.abort('key_revoked');
    await expect(run).rejects.toMatchObject({ code: 'client_closed' });
    expect(res.destroyed).toBe(false);
    expect(res.statusCode).toBe(401);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.written.join(''))).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'cancelled', httpStatus: 401, errorCode: 'key_revoked' });
  });

  it('the client gone mid-stream after bytes reached it: upstream aborted, charged, cancelled 200', async () => {
    const w = world();
    const { exchange: ex, res } = exchange();
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await midStream(w);
    res.hangUp();
    await run;
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.settled).toEqual(['settled']);
    expect(w.outcomes[0]).toMatchObject({ delivered: true, outcome: { status: 'cancelled', httpStatus: 200 } });
  });

  it('a client that stops reading: cut at the stall timeout, upstream aborted, one stream_stalled row', async () => {
    const w = world();
    const { exchange: ex, res } = exchange(30);
    res.accepting = false;
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await midStream(w);
    await run;
    expect(res.destroyed).toBe(true);
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.outcomes).toHaveLength(1);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'cancelled', errorCode: 'stream_stalled' });
  });

  it('the upstream cutting the stream: not charged, one upstream_disconnected row', async () => {
    const w = world();
    const { exchange: ex } = exchange();
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await midStream(w);
    w.answers[0].cut();
    await run;
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'error', errorCode: 'upstream_disconnected' });
  });

  it('an adapter that throws: upstream let go, released, one 500 row, the error surfaces', async () => {
    const w = world();
    const { exchange: ex } = exchange();
    const adapter: Adapter = {
      start: () => undefined,
      chunk: () => undefined,
      finish: () => {
        throw new Error('adapter bug');
      },
    };
    const run = w.service.run(request(ex), adapter);
    await tick();
    w.answers[0].respond();
    await tick();
    w.answers[0].end();
    await expect(run).rejects.toThrow('adapter bug');
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.settled).toEqual(['released']);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'error', httpStatus: 500, errorCode: 'internal_error' });
    expect(w.service.inFlight).toBe(0);
  });

  it('metering that throws: the error surfaces, and the exchange still leaves the list in flight', async () => {
    const w = world();
    w.settleError = new Error('metering failed');
    const { exchange: ex } = exchange();
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await tick();
    expect(w.service.inFlight).toBe(1);
    w.answers[0].respond();
    await tick();
    w.answers[0].send('event: response.completed\n\n');
    w.answers[0].end();
    await expect(run).rejects.toThrow('metering failed');
    expect(w.outcomes).toHaveLength(1);
    expect(w.service.inFlight).toBe(0);
    expect(w.service.liveExchanges()).toEqual([]);
  });

  it('shutdown: a stream still running after the drain deadline is cut and logged as shutdown', async () => {
    const w = world();
    const { exchange: ex } = exchange(10_000);
    const run = w.service.run(request(ex), passthrough(ex, { text: '' }));
    await midStream(w);
    await w.service.drain(20);
    await run;
    expect(w.answers[0].destroyed).toBe(true);
    expect(w.outcomes[0].outcome).toMatchObject({ status: 'cancelled', errorCode: 'shutdown' });
    expect(w.service.inFlight).toBe(0);
  });
});

describe('ProxyService stickiness: client-chosen keys are bounded', () => {
  const fields = (values: Record<string, string>) => ({ string: (name: string) => values[name] ?? null });

  it('binds an id of ordinary length, and none from an id, turn state or cache key past 1,024 characters', () => {
    const w = world();
    const ordinary = w.service.stickiness(
      key,
      { 'x-codex-turn-state': 'ts-1', session_id: 's-1' },
      fields({ previous_response_id: 'resp_abc', prompt_cache_key: 'pck-1' }),
      null,
    );
    expect(ordinary.hardKeys).toEqual(['owner-1:resp:resp_abc', '\u0001owner-1:turn:ts-1', 'owner-1:session:s-1']);
    expect(ordinary.softKey).toBe('owner-1:pck:pck-1');

    const huge = 'r'.repeat(1_000_000);
    const long = w.service.stickiness(
      key,
      { 'x-codex-turn-state': 't'.repeat(1025), session_id: 's-1' },
      fields({ previous_response_id: huge, prompt_cache_key: 'p'.repeat(1025) }),
      null,
    );
    expect(long.hardKeys).toEqual(['owner-1:session:s-1']);
    expect(long.softKey).toBeNull();
  });
});
