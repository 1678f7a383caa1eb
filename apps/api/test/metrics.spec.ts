// GET /metrics scraped on the real app after real proxied traffic: Prometheus text that parses,
// the bearer token when one is set, the proxy's series by route, status, model and outcome,
// latency and time-to-first-byte histograms, upstream statuses per account, key-limit refusals,
// account states and cooldowns, in-flight streams, the writers, the database and the process.
// Labels never carry what a client sent (an unknown model is `other`).
import request from 'supertest';
import { startTestApp } from './support/app';
import { addAccount, codexBody, createKey, flushLogs, postCodex, startWorld, type World } from './support/proxy-world';

const TOKEN = 'metrics-token-0123456789abcdef';
const CLIENT_MODEL = 'client-chosen-model-7f3a9';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function goFloat(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(text);
}

/** Prometheus text format 0.0.4: every line a comment, blank, or `name{labels} value`. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  // Values are Go floats, which Prometheus parses case-insensitively: prom-client writes an empty
  // histogram's mean (the event-loop lag before its first sample) as `Nan`.
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(type);
      types.set(name, type);
      continue;
    }
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (match[3]) {
      let consumed = 0;
      for (const m of match[3].matchAll(label)) {
        labels[m[1]] = m[2];
        consumed += m[0].length;
      }
      if (consumed !== match[3].length) throw new Error(`bad labels: ${line}`);
    }
    samples.push({ name: match[1], labels, value: goFloat(match[4]) });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}

describe('GET /metrics', () => {
  let w: World;
  let account: { id: string; seat: Awaited<ReturnType<typeof addAccount>>['seat'] };

  const scrape = async () => {
    const response = await request(w.app.url).get('/metrics').set('authorization', `Bearer ${TOKEN}`).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: response.text, ...parse(response.text) };
  };

  beforeAll(async () => {
    w = await startWorld({ CODEX_LB_METRICS_TOKEN: TOKEN });
    account = await addAccount(w, w.alice.cookie, 'metrics@example.com');
  });
  afterAll(async () => {
    await w?.close();
  });

  it('asks for the bearer token when one is set, compared exactly', async () => {
    const missing = await request(w.app.url).get('/metrics').expect(401);
    expect(missing.body.error.code).toBe('unauthenticated');
    await request(w.app.url).get('/metrics').set('authorization', `Bearer ${TOKEN}x`).expect(401);
    await request(w.app.url)
      .get('/metrics')
      .set('authorization', `Bearer ${TOKEN.slice(0, -1)}`)
      .expect(401);
    await request(w.app.url).get('/metrics').set('authorization', TOKEN).expect(401);
    // A dashboard session is no substitute.
    await request(w.app.url).get('/metrics').set('cookie', w.admin).expect(401);
    await request(w.app.url).get('/metrics').set('authorization', `Bearer ${TOKEN}`).expect(200);
  });

  it('counts proxied requests by route, status, bounded model and outcome, with histograms', async () => {
    const { key } = await createKey(w, w.alice.cookie);
    const limited = await createKey(w, w.alice.cookie, { limits: [{ kind: 'requests', window: 'minute', max: 1 }] });
    const first = await postCodex(w, key, codexBody('one')).expect(200);
    await postCodex(w, key, codexBody('two', { model: CLIENT_MODEL })).expect(200);
    await postCodex(w, limited.key, codexBody('three')).expect(200);
    // The second request within the minute is over that key's limit of 1.
    const refused = await postCodex(w, limited.key, codexBody('over the limit')).expect(429);
    expect(refused.body.error.code).toBe('rate_limit_exceeded');
    // The upstream fails (the gateway answers 502) and the account backs off.
    w.fake.failNext(account.seat, { status: 503 });
    await postCodex(w, key, codexBody('upstream down')).expect(502);
    await flushLogs(w);
    // The id the client got back is the request log row's.
    const requestId = first.headers['x-request-id'];
    const row = await request(w.app.url)
      .get(`/api/request-logs/${requestId}`)
      .set('cookie', w.alice.cookie)
      .expect(200);
    expect(row.body).toMatchObject({ id: requestId, route: '/backend-api/codex/responses' });

    const { text, samples, types } = await scrape();
    const route = '/backend-api/codex/responses';
    expect(types.get('codex_lb_proxy_requests_total')).toBe('counter');
    expect(
      total(samples, 'codex_lb_proxy_requests_total', {
        route,
        status_class: '2xx',
        status: '200',
        model: 'gpt-5.1-codex',
        outcome: 'success',
      }),
    ).toBe(2);
    expect(total(samples, 'codex_lb_proxy_requests_total', { route, model: 'other', outcome: 'success' })).toBe(1);
    expect(
      total(samples, 'codex_lb_proxy_requests_total', { route, status_class: '5xx', status: '502', outcome: 'error' }),
    ).toBe(1);
    expect(total(samples, 'codex_lb_proxy_requests_total', { route, status: '429', outcome: 'error' })).toBe(1);
    expect(total(samples, 'codex_lb_key_limit_refusals_total', { reason: 'rate_limit_exceeded' })).toBe(1);

    // Upstream answers per account, the failed attempt included.
    expect(total(samples, 'codex_lb_upstream_responses_total', { account: account.id, status: '200' })).toBe(3);
    expect(total(samples, 'codex_lb_upstream_responses_total', { account: account.id, status: '503' })).toBe(1);

    // Histograms: cumulative buckets ending in +Inf equal to the count.
    for (const name of ['codex_lb_proxy_request_duration_seconds', 'codex_lb_proxy_time_to_first_byte_seconds']) {
      expect(types.get(name)).toBe('histogram');
      const buckets = find(samples, `${name}_bucket`, { route });
      expect(buckets.length).toBeGreaterThan(0);
      const inf = buckets.filter((b) => b.labels.le === '+Inf').reduce((sum, b) => sum + b.value, 0);
      expect(inf).toBe(total(samples, `${name}_count`, { route }));
      expect(total(samples, `${name}_sum`, { route })).toBeGreaterThan(0);
    }
    expect(total(samples, 'codex_lb_proxy_time_to_first_byte_seconds_count', { route })).toBe(3);

    // Nothing a client chose becomes a label.
    expect(text).not.toContain(CLIENT_MODEL);
    expect(text).not.toContain(key);
    expect(text).not.toContain(limited.key);
    const models = new Set(find(samples, 'codex_lb_proxy_requests_total').map((s) => s.labels.model));
    expect([...models].sort()).toEqual(['gpt-5.1-codex', 'other']);
  });

  it('reports accounts, cooldowns, streams in flight, writers, the database and the process', async () => {
    const { key } = await createKey(w, w.alice.cookie);
    let { samples, types } = await scrape();
    // The upstream's 503 above made the account back off for a few seconds.
    expect(total(samples, 'codex_lb_accounts', { state: 'backing_off' })).toBe(1);
    expect(total(samples, 'codex_lb_account_usable', { account: account.id })).toBe(0);
    const backoff = total(samples, 'codex_lb_account_cooldown_seconds', { account: account.id });
    expect(backoff).toBeGreaterThan(0);
    expect(backoff).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, backoff * 1000 + 100));

    ({ samples, types } = await scrape());
    expect(total(samples, 'codex_lb_accounts', { state: 'usable' })).toBe(1);
    expect(total(samples, 'codex_lb_account_usable', { account: account.id })).toBe(1);
    expect(total(samples, 'codex_lb_account_cooldown_seconds', { account: account.id })).toBe(0);
    expect(total(samples, 'codex_lb_proxy_in_flight_requests')).toBe(0);
    expect(find(samples, 'codex_lb_proxy_open_websockets')).toHaveLength(1);
    expect(find(samples, 'codex_lb_writer_pending_rows', { writer: 'requestLogs' })).toHaveLength(1);
    expect(types.get('codex_lb_writer_dropped_rows_total')).toBe('counter');
    expect(total(samples, 'codex_lb_writer_dropped_rows_total', { writer: 'requestLogs' })).toBe(0);
    expect(find(samples, 'codex_lb_writer_dead_lettered_rows_total', { writer: 'requestLogs' })).toHaveLength(1);
    expect(total(samples, 'codex_lb_database_up')).toBe(1);
    expect(total(samples, 'codex_lb_database_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(find(samples, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(find(samples, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
    expect(
      find(samples, 'process_resident_memory_bytes').length + find(samples, 'nodejs_eventloop_lag_seconds').length,
    ).toBeGreaterThan(0);

    // A stream in flight is counted while it runs.
    w.fake.slowFirstByte(1_500, account.seat);
    const slow = postCodex(w, key, codexBody('slow')).then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 500));
    ({ samples } = await scrape());
    expect(total(samples, 'codex_lb_proxy_in_flight_requests')).toBe(1);
    expect((await slow).status).toBe(200);
    w.fake.slowFirstByte(0, account.seat);

    // A 429 puts the account in a cooldown until its window resets.
    w.fake.failNext(account.seat, { status: 429, resetsInSeconds: 900 });
    await postCodex(w, key, codexBody('rate limited')).expect(429);
    ({ samples } = await scrape());
    expect(total(samples, 'codex_lb_accounts', { state: 'usable' })).toBe(0);
    expect(total(samples, 'codex_lb_accounts')).toBe(1);
    expect(total(samples, 'codex_lb_account_usable', { account: account.id })).toBe(0);
    const cooldown = total(samples, 'codex_lb_account_cooldown_seconds', { account: account.id });
    expect(cooldown).toBeGreaterThan(800);
    expect(cooldown).toBeLessThanOrEqual(900);
    expect(total(samples, 'codex_lb_upstream_responses_total', { account: account.id, status: '429' })).toBe(1);
    expect(total(samples, 'codex_lb_proxy_in_flight_requests')).toBe(0);
  });
});

describe('GET /metrics settings', () => {
  it('is open without a token, and absent when CODEX_LB_METRICS=false', async () => {
    const open = await startTestApp();
    try {
      const response = await request(open.url).get('/metrics').expect(200);
      expect(response.text).toContain('# TYPE codex_lb_proxy_requests_total counter');
    } finally {
      await open.close();
    }
    const off = await startTestApp({ env: { CODEX_LB_METRICS: 'false' } });
    try {
      await request(off.url).get('/metrics').expect(404);
    } finally {
      await off.close();
    }
  });
});
