// Usage endpoints against rows written by real proxied requests (fake upstream, real proxy, real
// writer): list, detail, export, summary, time series and overview agree with the upstream's
// reported usage, and bob sees none of alice's traffic anywhere.
import request from 'supertest';
import { parseSse } from '../src/fake-upstream';
import { addAccount, codexBody, createKey, flushLogs, startWorld, type World } from './support/proxy-world';

describe('usage from proxied requests', () => {
  let w: World;
  const usages: { input_tokens: number; output_tokens: number; input_tokens_details: { cached_tokens: number } }[] = [];
  let keyId: string;
  let accountId: string;

  beforeAll(async () => {
    w = await startWorld();
    accountId = (await addAccount(w, w.alice.cookie, 'alice-usage@example.com')).id;
    const key = await createKey(w, w.alice.cookie, { name: 'usage-key' });
    keyId = key.id;
    for (let i = 0; i < 3; i++) {
      const response = await request(w.app.url)
        .post('/backend-api/codex/responses')
        .set('authorization', `Bearer ${key.key}`)
        .set('accept', 'text/event-stream')
        .send(codexBody(`usage ${i}`))
        .expect(200);
      const completed = parseSse(response.text).find((e) => e.event === 'response.completed')!;
      usages.push((completed.data as any).response.usage);
    }
    await flushLogs(w);
  });
  afterAll(() => w.close());

  const get = (cookie: string, path: string) => request(w.app.url).get(path).set('cookie', cookie).expect(200);

  it('lists each proxied request with the tokens the upstream reported', async () => {
    const { body } = await get(w.alice.cookie, '/api/request-logs');
    expect(body.items).toHaveLength(3);
    const sorted = [...body.items].reverse();
    sorted.forEach((item: any, i: number) =>
      expect(item).toMatchObject({
        apiKeyId: keyId,
        apiKeyName: 'usage-key',
        accountId,
        accountLabel: 'alice-usage@example.com',
        route: '/backend-api/codex/responses',
        status: 'success',
        httpStatus: 200,
        inputTokens: usages[i].input_tokens,
        cachedInputTokens: usages[i].input_tokens_details.cached_tokens,
        outputTokens: usages[i].output_tokens,
      }),
    );
    await get(w.alice.cookie, `/api/request-logs/${body.items[0].id}`);
    await request(w.app.url).get(`/api/request-logs/${body.items[0].id}`).set('cookie', w.bob.cookie).expect(404);
    expect((await get(w.bob.cookie, '/api/request-logs')).body.items).toHaveLength(0);
    const csv = await get(w.bob.cookie, '/api/request-logs/export');
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(1);
  });

  it('reports the same totals in the summary, the time series and the overview', async () => {
    const input = usages.reduce((s, u) => s + u.input_tokens, 0);
    const output = usages.reduce((s, u) => s + u.output_tokens, 0);
    const { body: logs } = await get(w.alice.cookie, '/api/request-logs');
    const cost = logs.items.reduce((s: number, i: any) => s + i.costUsd, 0);

    const summary = (await get(w.alice.cookie, '/api/usage/summary')).body.current;
    expect(summary).toMatchObject({ requests: 3, errors: 0, inputTokens: input, outputTokens: output });
    expect(summary.costUsd).toBeCloseTo(cost, 8);
    expect(summary.latencyP50Ms).not.toBeNull();
    expect(summary.ttfbP50Ms).not.toBeNull();

    const series = (await get(w.alice.cookie, '/api/usage/timeseries?groupBy=key')).body.series;
    expect(series).toHaveLength(1);
    expect(series[0].label).toBe('usage-key');
    expect(series[0].points.reduce((s: number, p: any) => s + p.inputTokens, 0)).toBe(input);

    const overview = (await get(w.alice.cookie, '/api/dashboard/overview')).body;
    expect(overview.today).toMatchObject({ requests: 3, inputTokens: input });
    expect(overview.accounts.map((a: any) => a.id)).toEqual([accountId]);

    expect((await get(w.bob.cookie, '/api/usage/summary')).body.current.requests).toBe(0);
    expect((await get(w.bob.cookie, '/api/dashboard/overview')).body.today.requests).toBe(0);
    expect((await get(w.admin, `/api/usage/summary?ownerId=${w.alice.id}`)).body.current.requests).toBe(3);
  });
});
