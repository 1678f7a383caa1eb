// The warm exchanges are bounded: one per route and mode, only completed ones, never a large
// answer, and never a request body.
import type { Outcome } from './metering/usage-meter';
import type { Adapter, OpenUpstream, ProxyRequest } from './proxy.service';
import { WARM_MAX_ANSWER_BYTES, WarmExchanges } from './warm-exchanges';

const adapter = {} as Adapter;
const open = {} as OpenUpstream;

function request(route: string, stream: boolean, bytesWritten = 1_000): ProxyRequest {
  return {
    exchange: { bytesWritten },
    route,
    stream,
    body: Buffer.alloc(40_000, 1),
  } as unknown as ProxyRequest;
}

function outcome(status: Outcome['status']): Outcome {
  return { status, httpStatus: 200, errorCode: null, usage: null, responseId: null, ttfbMs: 1, model: null };
}

describe('WarmExchanges', () => {
  it('keeps the last completed exchange of each route and mode, with its 40 KB body dropped', () => {
    const warm = new WarmExchanges();
    const first = request('/v1/chat/completions', true);
    const whole = request('/v1/chat/completions', false);
    const codex = request('/backend-api/codex/responses', true);
    warm.keep(first, adapter, open, outcome('success'));
    warm.keep(whole, adapter, open, outcome('success'));
    warm.keep(codex, adapter, open, outcome('success'));
    expect(warm.kept('/v1/chat/completions', true)?.req).toBe(first);
    expect(warm.kept('/v1/chat/completions', false)?.req).toBe(whole);
    expect(warm.kept('/backend-api/codex/responses', true)?.req).toBe(codex);
    expect(warm.kept('/backend-api/codex/responses', false)).toBeNull();
    for (const req of [first, whole, codex]) expect(req.body.length).toBe(0);

    const next = request('/v1/chat/completions', true);
    warm.keep(next, adapter, open, outcome('success'));
    expect(warm.kept('/v1/chat/completions', true)?.req).toBe(next);
    expect(warm.kept('/v1/chat/completions', false)?.req).toBe(whole);
  });

  it('keeps no failed or cancelled exchange, none without an upstream answer, no WebSocket turn, and none whose answer was over 256 KB', () => {
    const warm = new WarmExchanges();
    const route = '/backend-api/codex/responses';
    const refused = [
      [request(route, true), open, outcome('error')],
      [request(route, true), open, outcome('cancelled')],
      [request(route, true), null, outcome('success')],
      [{ ...request(route, true), open: () => Promise.resolve(open) }, open, outcome('success')],
      [request(route, true, WARM_MAX_ANSWER_BYTES + 1), open, outcome('success')],
    ] as const;
    for (const [req, answer, result] of refused) {
      warm.keep(req, adapter, answer, result);
      expect(warm.kept(route, true)).toBeNull();
      expect(req.body.length).toBe(40_000);
    }
    const atLimit = request(route, true, WARM_MAX_ANSWER_BYTES);
    warm.keep(atLimit, adapter, open, outcome('success'));
    expect(warm.kept(route, true)?.req).toBe(atLimit);
  });
});
