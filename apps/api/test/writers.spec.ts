// The background writers (request logs, key usage) on the real app, the real proxy and Postgres:
// a client's odd strings lose no row and stop no other key's metering; a row Postgres still
// refuses lands in the dead-letter table while the rest of its batch is stored; rows written
// while the database is away are stored once it is back.
import { Client } from 'pg';
import request from 'supertest';
import { WriteBehindRegistry } from '../src/common/write-behind/write-behind.registry';
import { KeyUsageRecorder } from '../src/modules/api-keys/limits/usage-recorder';
import { RequestLogWriter } from '../src/modules/usage/request-log.writer';
import { ADMIN_DATABASE_URL } from './support/database';
import { addAccount, codexBody, createKey, startWorld, type World, postCodex } from './support/proxy-world';

describe('background writers under bad input and faults', () => {
  let w: World;
  let bad: { key: string; id: string };
  let good: { key: string; id: string };

  beforeAll(async () => {
    w = await startWorld();
    await addAccount(w, w.alice.cookie, 'alice-writers@example.com');
    bad = await createKey(w, w.alice.cookie, { name: 'bad-input' });
    good = await createKey(w, w.alice.cookie, { name: 'good-input' });
  });
  afterAll(() => w.close());

  /** A short-lived connection: the outage case terminates every connection to the database. */
  async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = [], url = w.app.db!.url) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  const proxy = (key: string, body: object, headers: Record<string, string> = {}) => postCodex(w, key, body, headers);

  /** What the timers would do within a few seconds: one ordinary flush of each writer. */
  async function flushWriters(): Promise<void> {
    await w.app.instance.app.get(RequestLogWriter).flush();
    await w.app.instance.app.get(KeyUsageRecorder, { strict: false }).flush();
  }

  async function logsOf(keyId: string) {
    return sql<{ model: string | null; user_agent: string | null; session_id: string | null }>(
      `SELECT model, user_agent, session_id FROM request_logs WHERE api_key_id = $1 ORDER BY requested_at`,
      [keyId],
    );
  }

  async function meteredRequests(keyId: string): Promise<number> {
    const rows = await sql<{ n: number }>(
      `SELECT coalesce(sum(requests), 0)::int AS n FROM api_key_usage WHERE api_key_id = $1 AND window_kind = 'daily'`,
      [keyId],
    );
    return rows[0].n;
  }

  const ready = async (status = 200) => (await request(w.app.url).get('/api/health/ready').expect(status)).body;

  const SESSION = `s\u00e9\u00ff${'s'.repeat(190)}`;

  it('stores a row for a NUL or lone surrogate in the model, user agent or session id, and meters every key', async () => {
    const odd = [
      proxy(bad.key, codexBody('nul', { model: 'gpt-5.1-codex\u0000' })),
      proxy(bad.key, codexBody('surrogate', { model: '\ud800' })),
      proxy(bad.key, codexBody('high surrogate last', { model: `gpt-5.1-codex-${'x'.repeat(200)}\ud83d` })),
      // Headers arrive as latin-1 and cannot carry NUL: odd bytes and over-long values instead.
      proxy(bad.key, codexBody('headers'), { 'user-agent': `agent\u00ff${'u'.repeat(1_000)}`, session_id: SESSION }),
    ];
    for (const response of await Promise.all(odd)) expect(response.status).toBeLessThan(500);
    await proxy(good.key, codexBody('good one')).expect(200);
    await proxy(good.key, codexBody('good two')).expect(200);
    await flushWriters();

    const badLogs = await logsOf(bad.id);
    expect(badLogs).toHaveLength(4);
    for (const row of badLogs) {
      for (const text of [row.model, row.user_agent, row.session_id]) {
        if (text === null) continue;
        expect(text).not.toContain('\u0000');
        expect((text as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
      }
    }
    expect(badLogs.map((row) => row.model)).toEqual(expect.arrayContaining(['gpt-5.1-codex', '\ufffd']));
    // The client sends the headers as UTF-8; the server reads header bytes as latin-1.
    const asReceived = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const withHeaders = badLogs.find((row) => row.user_agent?.startsWith(asReceived('agent\u00ff')));
    expect(withHeaders!.user_agent!.length).toBeLessThanOrEqual(500);
    expect(withHeaders!.session_id).toBe(asReceived(SESSION));
    expect(await logsOf(good.id)).toHaveLength(2);
    expect(await meteredRequests(bad.id)).toBe(4);
    expect(await meteredRequests(good.id)).toBe(2);
    const models = await sql<{ model: string }>(`SELECT DISTINCT model FROM api_key_usage WHERE api_key_id = $1`, [
      bad.id,
    ]);
    expect(models.map((row) => row.model)).toEqual(expect.arrayContaining(['gpt-5.1-codex', '\ufffd']));
    // The rollups took them too (the lone surrogate used to fail their jsonb).
    const rolled = await sql<{ n: number }>(
      `SELECT sum(requests)::int AS n FROM usage_rollups_hourly WHERE api_key_id = $1`,
      [bad.id],
    );
    expect(rolled[0].n).toBe(4);

    const health = await ready();
    expect(health).toMatchObject({ status: 'ok', database: 'ok', deadLetterTable: {} });
    expect(health.writers.requestLogs).toMatchObject({ pending: 0, retrying: 0, deadLettered: 0, dropped: 0 });
    expect(health.writers.keyUsage).toMatchObject({ pending: 0, retrying: 0, deadLettered: 0, dropped: 0 });
  });

  it('puts a row Postgres still refuses into the dead-letter table and stores the rest of its batch', async () => {
    await sql(`ALTER TABLE request_logs ADD CONSTRAINT test_refused_model CHECK (model <> 'refused-model')`);
    await sql(`ALTER TABLE api_key_usage ADD CONSTRAINT test_refused_model CHECK (model <> 'refused-model')`);
    try {
      const goodBefore = (await logsOf(good.id)).length;
      const meteredBefore = await meteredRequests(good.id);
      await proxy(bad.key, codexBody('refused', { model: 'refused-model' })).expect(200);
      await proxy(good.key, codexBody('stored')).expect(200);

      // One ordinary flush: the good rows are written, the refused ones wait for a retry.
      await flushWriters();
      expect(await logsOf(good.id)).toHaveLength(goodBefore + 1);
      expect(await meteredRequests(good.id)).toBe(meteredBefore + 1);
      let health = await ready();
      expect(health.writers.requestLogs).toMatchObject({ pending: 1, retrying: 1 });
      expect(health.writers.keyUsage).toMatchObject({ pending: 4, retrying: 4 });

      // Shutdown's drain: the remaining attempts at once, then the dead-letter table.
      await w.app.instance.app.get(WriteBehindRegistry).drainAll();
      const letters = await sql<{ writer: string; model: string; error: string; attempts: number }>(
        `SELECT writer, payload->>'model' AS model, error, attempts FROM write_dead_letters ORDER BY id`,
      );
      expect(letters).toHaveLength(5);
      expect(letters.filter((l) => l.writer === 'requestLogs')).toHaveLength(1);
      expect(letters.filter((l) => l.writer === 'keyUsage')).toHaveLength(4);
      for (const letter of letters) {
        expect(letter).toMatchObject({ model: 'refused-model', attempts: 5 });
        expect(letter.error).toContain('test_refused_model');
      }
      health = await ready();
      expect(health).toMatchObject({
        status: 'degraded',
        database: 'ok',
        deadLetterTable: { requestLogs: 1, keyUsage: 4 },
      });
      expect(health.writers.requestLogs).toMatchObject({ pending: 0, retrying: 0, deadLettered: 1 });
      expect(health.writers.keyUsage).toMatchObject({ pending: 0, retrying: 0, deadLettered: 4 });
    } finally {
      await sql(`ALTER TABLE request_logs DROP CONSTRAINT test_refused_model`);
      await sql(`ALTER TABLE api_key_usage DROP CONSTRAINT test_refused_model`);
    }
  });

  it('stores the rows of requests served while the database was away once it is back', async () => {
    const name = w.app.db!.name;
    const logsBefore = (await logsOf(good.id)).length;
    const meteredBefore = await meteredRequests(good.id);
    await sql(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`, [], ADMIN_DATABASE_URL);
    try {
      await sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
        ADMIN_DATABASE_URL,
      );
      for (let i = 0; i < 3; i++) await proxy(good.key, codexBody(`during the outage ${i}`)).expect(200);
      await flushWriters();
      const health = await ready(503);
      expect(health).toMatchObject({ status: 'degraded', database: 'unavailable', deadLetterTable: null });
      expect(health.writers.requestLogs.pending).toBe(3);
      expect(health.writers.requestLogs.retrying).toBe(0);
      expect(health.writers.keyUsage.pending).toBeGreaterThan(0);
    } finally {
      await sql(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`, [], ADMIN_DATABASE_URL);
    }
    await flushWriters();
    expect(await logsOf(good.id)).toHaveLength(logsBefore + 3);
    expect(await meteredRequests(good.id)).toBe(meteredBefore + 3);
    const health = await ready();
    expect(health.database).toBe('ok');
    expect(health.writers.requestLogs).toMatchObject({ pending: 0, deadLettered: 1, dropped: 0 });
  });
});
