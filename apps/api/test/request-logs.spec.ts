// Request logs through the real writer and the real HTTP API: what is written is what is listed,
// owners never see each other's rows (list, detail, export), pages stay stable while new rows
// arrive, and the retention purge removes old rows without changing the usage summary.
import request from 'supertest';
import { LogRetentionService } from '../src/modules/usage/log-retention.service';
import { RequestLogsRepository } from '../src/modules/usage/request-logs.repository';
import { as, insertAccount } from './support/api-keys';
import { createUserSession, startTestApp, type TestApp } from './support/app';
import { entry, usageWorld, write, type UsageWorld } from './support/request-logs';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('request logs', () => {
  let app: TestApp;
  let world: UsageWorld;
  const base = Date.now() - 60 * MINUTE;
  const at = (minutes: number) => new Date(base + minutes * MINUTE);

  beforeAll(async () => {
    app = await startTestApp();
    world = await usageWorld(app);
    const { alice, bob } = world;
    await write(app, [
      entry(alice, { requestedAt: at(1), inputTokens: null, outputTokens: null, costUsd: null, ttfbMs: null }),
      entry(alice, { requestedAt: at(2), model: 'gpt-5', route: '/v1/chat/completions', stream: false }),
      entry(alice, {
        requestedAt: at(3),
        status: 'error',
        httpStatus: 429,
        errorCode: 'usage_limit_reached',
        userAgent: '=HYPERLINK("x"), evil\nagent',
      }),
      entry(alice, { requestedAt: at(4), status: 'cancelled', httpStatus: 499, apiKeyId: null, accountId: null }),
      entry(bob, { requestedAt: at(5), errorCode: 'upstream_timeout', status: 'error', httpStatus: 504 }),
      entry(bob, { requestedAt: at(6) }),
    ]);
  });
  afterAll(() => app.close());

  const list = (cookie: string, query = '') => as(app, cookie).get(`/api/request-logs${query}`).expect(200);
  /** Requests the usage summary counts between two times (from the rollups, not the rows). */
  const requestsCounted = async (cookie: string, from: string, to: string) =>
    (await as(app, cookie).get(`/api/usage/summary?from=${from}&to=${to}`).expect(200)).body.current.requests;

  it('lists what was written, newest first, with names and without secrets', async () => {
    const { body } = await list(world.alice.cookie);
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((i: { requestedAt: string }) => i.requestedAt)).toEqual(
      [4, 3, 2, 1].map((m) => at(m).toISOString()),
    );
    const [cancelled, failed, chat, unknown] = body.items;
    expect(unknown).toMatchObject({
      ownerUserId: world.alice.id,
      ownerUsername: 'alice',
      apiKeyId: world.alice.keyId,
      apiKeyName: 'alice-laptop',
      accountId: world.alice.accountId,
      accountLabel: 'alice@example.com',
      status: 'success',
      inputTokens: null,
      outputTokens: null,
      cachedInputTokens: 20,
      costUsd: null,
      ttfbMs: null,
      latencyMs: 800,
    });
    expect(chat).toMatchObject({ model: 'gpt-5', route: '/v1/chat/completions', stream: false, costUsd: 0.001 });
    expect(failed).toMatchObject({ status: 'error', httpStatus: 429, errorCode: 'usage_limit_reached' });
    expect(cancelled).toMatchObject({ status: 'cancelled', apiKeyId: null, apiKeyName: null, accountLabel: null });
    expect(JSON.stringify(body)).not.toMatch(/digest|key_digest|sk-clb/i);
  });

  it('shows a user only their own rows, and an admin every row or one owner', async () => {
    const alice = await list(world.alice.cookie, `?ownerId=${world.bob.id}`);
    expect(alice.body.items).toHaveLength(4);
    expect(alice.body.items.every((i: { ownerUserId: string }) => i.ownerUserId === world.alice.id)).toBe(true);
    expect((await list(world.bob.cookie)).body.items).toHaveLength(2);
    expect((await list(world.adminCookie)).body.items).toHaveLength(6);
    const onlyBob = await list(world.adminCookie, `?ownerId=${world.bob.id}`);
    expect(onlyBob.body.items.map((i: { ownerUsername: string }) => i.ownerUsername)).toEqual(['bob', 'bob']);
  });

  it("answers the detail of your own log, and 404 for another owner's", async () => {
    const bobs = (await list(world.bob.cookie)).body.items;
    const mine = await as(app, world.bob.cookie).get(`/api/request-logs/${bobs[0].id}`).expect(200);
    expect(mine.body).toEqual(bobs[0]);
    const theirs = await as(app, world.alice.cookie).get(`/api/request-logs/${bobs[0].id}`).expect(404);
    expect(theirs.body.error.code).toBe('not_found');
    await as(app, world.adminCookie).get(`/api/request-logs/${bobs[0].id}`).expect(200);
    await as(app, world.alice.cookie).get('/api/request-logs/00000000-0000-4000-8000-000000000000').expect(404);
    await as(app, world.alice.cookie).get('/api/request-logs/not-a-uuid').expect(400);
  });

  it('filters by key, account, model, status, route, error code text and time', async () => {
    const count = async (query: string) => (await list(world.adminCookie, query)).body.items.length;
    expect(await count(`?apiKeyId=${world.alice.keyId}`)).toBe(3);
    expect(await count(`?accountId=${world.bob.accountId}`)).toBe(2);
    expect(await count('?model=gpt-5')).toBe(1);
    expect(await count('?status=error')).toBe(2);
    expect(await count('?status=cancelled')).toBe(1);
    expect(await count(`?route=${encodeURIComponent('/v1/chat/completions')}`)).toBe(1);
    expect(await count('?q=LIMIT')).toBe(1);
    expect(await count('?q=_')).toBe(2);
    expect(await count('?q=%25')).toBe(0);
    expect(await count(`?from=${at(2).toISOString()}&to=${at(5).toISOString()}`)).toBe(3);
    expect(await count(`?status=error&apiKeyId=${world.bob.keyId}`)).toBe(1);
  });

  it('refuses bad queries with clear 400s', async () => {
    const bad = async (query: string, pattern: RegExp) => {
      const response = await as(app, world.alice.cookie).get(`/api/request-logs${query}`).expect(400);
      expect(response.body.error.message).toMatch(pattern);
    };
    await bad('?limit=0', /limit must be an integer between 1 and 500/);
    await bad('?limit=501', /limit must be an integer between 1 and 500/);
    await bad('?limit=ten', /limit must be an integer between 1 and 500/);
    await bad('?from=yesterday', /from must be an ISO 8601/);
    await bad(`?from=${at(5).toISOString()}&to=${at(1).toISOString()}`, /to must be later than from/);
    await bad('?from=2020-01-01T00:00:00Z&to=2022-01-01T00:00:00Z', /at most 400 days/);
    await bad('?status=done', /status must be one of/);
    await bad('?cursor=abc', /cursor/);
    await bad('?apiKeyId=nope', /apiKeyId must be/);
  });

  it('keeps pages stable while newer rows arrive: no duplicates, no gaps', async () => {
    const { alice } = world;
    const older = new Date(base - 10 * DAY);
    // Ten rows share one millisecond, so only the id keeps the order total.
    const batch = Array.from({ length: 25 }, (_, i) =>
      entry(alice, { requestedAt: i < 10 ? older : new Date(older.getTime() + i * 1000), model: 'paging' }),
    );
    await write(app, batch);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?model=paging&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await list(alice.cookie, query)).body;
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.nextCursor;
      pages++;
      // New rows land between pages, newer than anything already served.
      await write(app, [entry(alice, { requestedAt: new Date(), model: 'paging' })]);
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(batch.map((e) => e.requestId).sort());
  });

  it("exports the filtered rows as CSV, only the caller's own", async () => {
    const response = await request(app.url)
      .get(`/api/request-logs/export?to=${at(10).toISOString()}&from=${at(0).toISOString()}`)
      .set('cookie', world.alice.cookie)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="request-logs-.*\.csv"$/);
    const text = response.body as string;
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0].startsWith('id,requestedAt,ownerUsername,apiKeyName')).toBe(true);
    expect(text).not.toContain('bob');
    expect(text).toContain('"\'=HYPERLINK(""x""), evil\nagent"');
    // Header + 4 rows; one field holds a quoted newline, so count ids instead of lines.
    const ids = text.match(/^[0-9a-f]{8}-[0-9a-f-]{27},/gm) ?? [];
    expect(ids).toHaveLength(4);

    const admin = await request(app.url)
      .get(`/api/request-logs/export?ownerId=${world.bob.id}&from=${at(0).toISOString()}&to=${at(10).toISOString()}`)
      .set('cookie', world.adminCookie)
      .expect(200);
    expect(admin.text.match(/^[0-9a-f]{8}-[0-9a-f-]{27},/gm)).toHaveLength(2);
    expect(admin.text).not.toContain('alice');
    await as(app, world.alice.cookie).get('/api/request-logs/export?limit=0').expect(400);
  });

  it('streams an export larger than one batch without losing or repeating rows', async () => {
    const start = base - 30 * DAY;
    const bulk = Array.from({ length: 2350 }, (_, i) =>
      entry(world.bob, { requestedAt: new Date(start + i * 1000), model: 'bulk' }),
    );
    await write(app, bulk);
    const from = new Date(start - MINUTE).toISOString();
    const response = await as(app, world.bob.cookie)
      .get(`/api/request-logs/export?model=bulk&from=${from}`)
      .expect(200);
    const ids = response.text.match(/^[0-9a-f]{8}-[0-9a-f-]{27}(?=,)/gm) ?? [];
    expect(ids).toHaveLength(bulk.length);
    expect(new Set(ids).size).toBe(bulk.length);
  });

  it('fails a batch whose later COPY piece cannot be made as one error, storing none of it; the next batch stores', async () => {
    const repository = app.instance.app.get(RequestLogsRepository);
    const when = (minutes: number) => new Date(base - 14 * DAY + minutes * MINUTE);
    // 300 rows: the second 256-row piece is made on a later event-loop turn, and its last entry
    // (not sanitized: insertBatch's callers must) has no usable time.
    const batch = Array.from({ length: 300 }, (_, i) => entry(world.bob, { requestedAt: when(i), model: 'bad-piece' }));
    batch[299] = { ...batch[299], requestedAt: 'not a date' as unknown as Date };
    await expect(repository.insertBatch(batch)).rejects.toThrow();
    await write(app, [entry(world.bob, { requestedAt: when(400), model: 'bad-piece' })]);
    const from = new Date(base - 15 * DAY).toISOString();
    expect((await list(world.bob.cookie, `?model=bad-piece&from=${from}`)).body.items).toHaveLength(1);
  });

  it('stores a repeated request id once and counts it once', async () => {
    const e = entry(world.bob, { requestedAt: new Date(base - 20 * DAY), model: 'dedupe' });
    await write(app, [e, { ...e }]);
    await write(app, [{ ...e }]);
    const from = new Date(base - 21 * DAY).toISOString();
    expect((await list(world.bob.cookie, `?model=dedupe&from=${from}`)).body.items).toHaveLength(1);
    expect(await requestsCounted(world.bob.cookie, from, new Date(base - 19 * DAY).toISOString())).toBe(1);
  });

  it('stores the 2 new rows of a batch that repeats a stored id, and counts 3 requests in all', async () => {
    const when = (minutes: number) => new Date(base - 22 * DAY + minutes * MINUTE);
    const first = entry(world.bob, { requestedAt: when(1), model: 'repeat-mixed' });
    await write(app, [first]);
    // The stored id again (a batch written again after its commit was lost) beside two new rows.
    await write(app, [
      { ...first },
      entry(world.bob, { requestedAt: when(2), model: 'repeat-mixed' }),
      entry(world.bob, { requestedAt: when(3), model: 'repeat-mixed' }),
    ]);
    const from = new Date(base - 23 * DAY).toISOString();
    expect((await list(world.bob.cookie, `?model=repeat-mixed&from=${from}`)).body.items).toHaveLength(3);
    expect(await requestsCounted(world.bob.cookie, from, new Date(base - 21 * DAY).toISOString())).toBe(3);
  });

  it("stores the live owner's row of a batch that also holds 2 rows of a deleted user, and counts 1", async () => {
    const dave = await createUserSession(app, world.adminCookie, 'dave');
    await as(app, world.adminCookie).delete(`/api/users/${dave.id}`).expect(204);
    const gone = { ...world.bob, id: dave.id, cookie: dave.cookie };
    const when = (minutes: number) => new Date(base - 24 * DAY + minutes * MINUTE);
    await write(app, [
      entry(gone, { requestedAt: when(1), apiKeyId: null, accountId: null }),
      entry(world.bob, { requestedAt: when(2), model: 'owner-mixed' }),
      entry(gone, { requestedAt: when(3), apiKeyId: null, accountId: null }),
    ]);
    const from = new Date(base - 25 * DAY).toISOString();
    expect((await list(world.bob.cookie, `?model=owner-mixed&from=${from}`)).body.items).toHaveLength(1);
    expect(await requestsCounted(world.bob.cookie, from, new Date(base - 23 * DAY).toISOString())).toBe(1);
    const stored = await app.instance.dataSource.query(
      'SELECT count(*) AS n FROM request_logs WHERE owner_user_id = $1',
      [dave.id],
    );
    expect(Number(stored[0].n)).toBe(0);
  });

  it("keeps a deleted account's id on its logs, written before or after the deletion, with no label", async () => {
    const accountId = await insertAccount(app, world.bob.id);
    const when = (minutes: number) => new Date(base - 10 * DAY + minutes * MINUTE);
    await write(app, [entry(world.bob, { requestedAt: when(1), accountId, model: 'deleted-account' })]);
    await as(app, world.bob.cookie).delete(`/api/accounts/${accountId}`).expect(204);
    // A request served just before the deletion, flushed after it.
    await write(app, [entry(world.bob, { requestedAt: when(2), accountId, model: 'deleted-account' })]);
    const from = new Date(base - 11 * DAY).toISOString();
    const { body } = await list(world.bob.cookie, `?model=deleted-account&from=${from}`);
    expect(body.items).toHaveLength(2);
    for (const item of body.items) {
      expect(item).toMatchObject({ accountId, accountLabel: null, apiKeyName: 'bob-laptop', ownerUsername: 'bob' });
    }
    expect((await list(world.bob.cookie, `?accountId=${accountId}&from=${from}`)).body.items).toHaveLength(2);
  });

  it('stores texts exactly, whatever characters they hold', async () => {
    // Array-literal and COPY syntax alike: quotes, braces, backslashes, tabs, line breaks, \N.
    const texts = ['a\\b"c{d},e', 'NULL', '', ' padded ', 'é ✓ \ttab', 'nul\u0000byte', 'two\nlines\r\n', '\\N', '\\'];
    const when = (minutes: number) => new Date(base - 12 * DAY + minutes * MINUTE);
    await write(
      app,
      texts.map((text, i) =>
        entry(world.bob, { requestedAt: when(i), model: 'texts', userAgent: text, sessionId: text, errorCode: text }),
      ),
    );
    const from = new Date(base - 13 * DAY).toISOString();
    const { body } = await list(world.bob.cookie, `?model=texts&from=${from}`);
    // Empty texts are stored as unknown (null) and NUL characters dropped, as the writer cleans them.
    const expected = texts.map((text) => (text === '' ? null : text.replace('\u0000', ''))).reverse();
    expect(body.items.map((i: { userAgent: string | null }) => i.userAgent)).toEqual(expected);
    expect(body.items.map((i: { sessionId: string | null }) => i.sessionId)).toEqual(expected);
    expect(body.items.map((i: { errorCode: string | null }) => i.errorCode)).toEqual(expected);
  });

  it("deletes a user's logs with the user, also those written while the deletion runs", async () => {
    const carol = await createUserSession(app, world.adminCookie, 'carol');
    const who = { ...world.bob, id: carol.id, cookie: carol.cookie };
    const when = (minutes: number) => new Date(base - 14 * DAY + minutes * MINUTE);
    await write(app, [entry(who, { requestedAt: when(1), apiKeyId: null, accountId: null })]);
    const count = async () =>
      Number(
        (
          await app.instance.dataSource.query('SELECT count(*) AS n FROM request_logs WHERE owner_user_id = $1', [
            carol.id,
          ])
        )[0].n,
      );
    expect(await count()).toBe(1);
    // A batch holding carol's lock while the deletion starts: the deletion waits for it, then
    // takes its rows too.
    const batch = app.instance.dataSource.createQueryRunner();
    await batch.connect();
    await batch.startTransaction();
    await batch.query('SELECT 1 FROM dashboard_users WHERE id = $1 FOR KEY SHARE', [carol.id]);
    const deletion = as(app, world.adminCookie).delete(`/api/users/${carol.id}`).expect(204);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await batch.query(
      `INSERT INTO request_logs (id, requested_at, owner_user_id, route, stream, status, http_status, latency_ms)
       VALUES (gen_random_uuid(), now(), $1, '/v1/responses', true, 'success', 200, 5)`,
      [carol.id],
    );
    await batch.commitTransaction();
    await batch.release();
    await deletion;
    expect(await count()).toBe(0);
    // After the deletion, a late batch for carol stores nothing.
    await write(app, [entry(who, { requestedAt: when(2), apiKeyId: null, accountId: null })]);
    expect(await count()).toBe(0);
  });

  it('keeps the 5 time-ordered indexes ascending, so a new row goes to the last leaf of each', async () => {
    const indexes: { indexdef: string }[] = await app.instance.dataSource.query(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'request_logs' AND indexdef LIKE '%requested_at%'`,
    );
    expect(indexes).toHaveLength(5);
    for (const { indexdef } of indexes) expect(indexdef).not.toMatch(/DESC/);
  });

  it('purges logs past the retention period and leaves the usage summary unchanged', async () => {
    const old = new Date(Date.now() - 100 * DAY);
    await write(
      app,
      Array.from({ length: 12 }, (_, i) =>
        entry(world.alice, { requestedAt: new Date(old.getTime() + i * MINUTE), model: 'ancient', latencyMs: 100 * i }),
      ),
    );
    const range = `from=${new Date(Date.now() - 120 * DAY).toISOString()}&to=${new Date().toISOString()}`;
    const before = (await as(app, world.alice.cookie).get(`/api/usage/summary?${range}`).expect(200)).body;
    expect((await list(world.alice.cookie, `?model=ancient&${range}`)).body.items).toHaveLength(12);

    expect(app.settings.logRetentionDays).toBe(90);
    const deleted = await app.instance.app.get(LogRetentionService).purge();
    expect(deleted).toBe(12);

    expect((await list(world.alice.cookie, `?model=ancient&${range}`)).body.items).toHaveLength(0);
    expect((await list(world.alice.cookie, `?${range}&limit=500`)).body.items.length).toBeGreaterThan(25);
    const after = (await as(app, world.alice.cookie).get(`/api/usage/summary?${range}`).expect(200)).body;
    expect(after).toEqual(before);
  });
});
