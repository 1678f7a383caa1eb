// The warm exchanges are bounded: one per route and mode, only completed HTTP ones, and none whose
// client body, upstream body, upstream answer or answer to the client was large.
import type { Outcome } from './metering/usage-meter';
import type { Adapter, OpenUpstream, ProxyRequest } from './proxy.service';
import { WARM_MAX_BYTES, WarmExchanges } from './warm-exchanges';

const adapter = {} as Adapter;
const open = {} as OpenUpstream;

function request(
  route: string,
  stream: boolean,
  sizes: { client?: number; upstream?: number; answer?: number; received?: number } = {},
): ProxyRequest {
  return {
    exchange: { bytesWritten: sizes.answer ?? 1_000, body: Buffer.alloc(sizes.client ?? 40_000) },
    route,
    stream,
    body: Buffer.alloc(sizes.upstream ?? 40_000),
  } as unknown as ProxyRequest;
}

function outcome(status: Outcome['status']): Outcome {
  return { status, httpStatus: 200, errorCode: null, usage: null, responseId: null, ttfbMs: 1, model: null };
}

describe('WarmExchanges', () => {
  it('keeps the last completed exchange of each route and mode', () => {
    const warm = new WarmExchanges();
    const first = request('/v1/chat/completions', true);
    const whole = request('/v1/chat/completions', false);
    const codex = request('/backend-api/codex/responses', true);
    warm.keep(first, adapter, open, outcome('success'), 4_400);
    warm.keep(whole, adapter, open, outcome('success'), 4_400);
    warm.keep(codex, adapter, open, outcome('success'), 4_400);
    expect(warm.kept('/v1/chat/completions', true)?.req).toBe(first);
    expect(warm.kept('/v1/chat/completions', false)?.req).toBe(whole);
    expect(warm.kept('/backend-api/codex/responses', true)?.req).toBe(codex);
    expect(warm.kept('/backend-api/codex/responses', false)).toBeNull();

    const next = request('/v1/chat/completions', true);
    warm.keep(next, adapter, open, outcome('success'), 4_400);
    expect(warm.kept('/v1/chat/completions', true)?.req).toBe(next);
    expect(warm.kept('/v1/chat/completions', false)?.req).toBe(whole);
  });

  it('keeps no failed or cancelled exchange, none without an upstream answer, and no WebSocket turn', () => {
    const warm = new WarmExchanges();
    const route = '/backend-api/codex/responses';
    const refused = [
      [request(route, true), open, outcome('error')],
      [request(route, true), open, outcome('cancelled')],
      [request(route, true), null, outcome('success')],
      [{ ...request(route, true), open: () => Promise.resolve(open) }, open, outcome('success')],
    ] as const;
    for (const [req, answer, result] of refused) {
      warm.keep(req, adapter, answer, result, 4_400);
      expect(warm.kept(route, true)).toBeNull();
    }
  });

  it('keeps none whose client body, upstream body, upstream answer or client answer was over 256 KB; the kind keeps the one before', () => {
    const warm = new WarmExchanges();
    const route = '/backend-api/codex/responses';
    const atLimit = request(route, true, { client: WARM_MAX_BYTES, upstream: WARM_MAX_BYTES, answer: WARM_MAX_BYTES });
    warm.keep(atLimit, adapter, open, outcome('success'), WARM_MAX_BYTES);
    expect(warm.kept(route, true)?.req).toBe(atLimit);
    for (const sizes of [
      { client: WARM_MAX_BYTES + 1 },
      { upstream: WARM_MAX_BYTES + 1 },
      { answer: WARM_MAX_BYTES + 1 },
      { received: WARM_MAX_BYTES + 1 },
    ]) {
      warm.keep(request(route, true, sizes), adapter, open, outcome('success'), sizes.received ?? 4_400);
      expect(warm.kept(route, true)?.req).toBe(atLimit);
    }
  });
});
