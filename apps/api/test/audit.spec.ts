// The audit log on the real app and database: what a row says (actor, how they signed in,
// address, user agent, request id, changed fields), the read API (filters, cursor pages, one
// event, NDJSON export that is itself audited), the append-only trigger, the hash chain (an
// edited or removed row is found; a retention purge checkpoints it and it still verifies), floods
// of denials (deduplicated, bounded, fast), the embedded database, and no secret anywhere: a dump
// of every table and the log lines of a run that handles passwords, keys, tokens and TOTP secrets.
import { Client } from 'pg';
import request from 'supertest';
import type { AuditEventDto } from '@codex-lb/shared';
import { AuditSealer } from '../src/modules/audit/audit-sealer';
import { AUDIT_QUEUE_MAX, AuditService } from '../src/modules/audit/audit.service';
import { totpCode } from '../src/modules/auth/totp';
import { ADMIN_PASSWORD, createUserSession, login, startTestApp } from './support/app';
import { addAccount, createKey, startWorld, type World } from './support/proxy-world';

const DAY_MS = 86_400_000;

describe('audit log', () => {
  let world: World;
  let admin: string;

  beforeAll(async () => {
    world = await startWorld({ CODEX_LB_AUDIT_RETENTION_DAYS: '30' });
    admin = world.admin;
  });
  afterAll(() => world.close());

  const http = () => request(world.app.url);
  const get = (path: string, cookie = admin) => http().get(path).set('cookie', cookie);
  const flush = () => world.app.instance.app.get(AuditService).flush();
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    world.app.instance.dataSource.query(sql, params);

  /** A superuser connection of its own, as an attacker with database access would have. */
  async function asSuperuser<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: world.app.db!.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** Deletes a row behind the trigger's back (as a superuser could); returns it, time as text. */
  async function removeRow(id: string): Promise<Record<string, unknown>> {
    return asSuperuser(async (client) => {
      await client.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      // The time as text: a JS Date would lose the microseconds the hash covers.
      const { rows } = await client.query(`DELETE FROM audit_events WHERE id = $1 RETURNING *, at::text AS at`, [id]);
      await client.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
      return rows[0] as Record<string, unknown>;
    });
  }

  async function restoreRow(saved: Record<string, unknown>): Promise<void> {
    await asSuperuser(async (client) => {
      const columns = Object.keys(saved);
      const values = columns.map((column) =>
        column === 'changes' && saved[column] !== null ? JSON.stringify(saved[column]) : saved[column],
      );
      await client.query(
        `INSERT INTO audit_events (${columns.join(', ')}) OVERRIDING SYSTEM VALUE
         VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        values,
      );
    });
  }

  async function verify(): Promise<{ ok: boolean; checked: number; firstBadId?: string }> {
    return (await get('/api/audit-events/verify').expect(200)).body;
  }

  it('records who changed what, from where, how they signed in, and only the changed fields', async () => {
    const created = await http()
      .post('/api/api-keys')
      .set('cookie', world.alice.cookie)
      .set('user-agent', 'audit-spec/1.0')
      .send({ name: 'first name' })
      .expect(201);
    const keyId = created.body.apiKey.id;
    const requestId = created.headers['x-request-id'];
    const page = await get(`/api/audit-events?targetType=key&targetId=${keyId}`).expect(200);
    expect(page.body.items).toHaveLength(1);
    const event: AuditEventDto = page.body.items[0];
    expect(event).toMatchObject({
      action: 'key.create',
      outcome: 'success',
      actor: { id: world.alice.id, kind: 'human', label: 'alice' },
      authMethod: 'session',
      target: { type: 'key', id: keyId, label: 'first name' },
      ip: '127.0.0.1',
      userAgent: 'audit-spec/1.0',
      requestId,
    });
    expect(JSON.stringify(event)).not.toContain(created.body.key);

    // A change made with an API key names the key's prefix; the before/after holds what changed.
    const manager = await createKey(world, world.alice.cookie, { name: 'manager', scopes: ['api-keys:write'] });
    const prefix = (await get(`/api/api-keys/${manager.id}`, world.alice.cookie).expect(200)).body.prefix;
    await http()
      .patch(`/api/api-keys/${keyId}`)
      .set('authorization', `Bearer ${manager.key}`)
      .send({ name: 'second name', allowedModels: [] })
      .expect(200);
    const updated = (await get(`/api/audit-events?action=key.update&targetId=${keyId}`).expect(200)).body.items;
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      actor: { id: world.alice.id, kind: 'human' },
      authMethod: `api_key:${prefix}`,
      changes: { before: { name: 'first name' }, after: { name: 'second name' } },
    });

    // One event by id; a missing or malformed id is a 404.
    expect((await get(`/api/audit-events/${updated[0].id}`).expect(200)).body).toEqual(updated[0]);
    await get('/api/audit-events/999999999').expect(404);
    await get('/api/audit-events/not-a-number').expect(404);
  });

  it('names a service account as a service actor when it acts through its key', async () => {
    const bot = await http().post('/api/service-accounts').set('cookie', admin).send({ name: 'audit-bot' }).expect(201);
    const key = await http()
      .post(`/api/service-accounts/${bot.body.id}/keys`)
      .set('cookie', admin)
      .send({ name: 'bot key', scopes: ['api-keys:read'] })
      .expect(201);
    const denied = await http()
      .post('/api/api-keys')
      .set('authorization', `Bearer ${key.body.key}`)
      .send({ name: 'x' });
    expect(denied.status).toBe(403);
    await flush();
    const rows = (await get(`/api/audit-events?action=authz.denied&actorId=${bot.body.id}`).expect(200)).body.items;
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toEqual({ id: bot.body.id, kind: 'service', label: 'audit-bot' });
  });

  it('pages with a cursor, filters, refuses bad filters, and exports NDJSON (the export is audited)', async () => {
    for (let i = 0; i < 5; i++) {
      await http()
        .post('/api/groups')
        .set('cookie', admin)
        .send({ slug: `page-${i}`, name: `Page ${i}` })
        .expect(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await get(
        `/api/audit-events?action=group.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      seen.push(...page.body.items.map((item: AuditEventDto) => item.target.label));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Page 4', 'Page 3', 'Page 2', 'Page 1', 'Page 0']);

    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const ranged = await get(`/api/audit-events?outcome=success&from=${from}&to=${to}&limit=200`).expect(200);
    expect(ranged.body.items.length).toBeGreaterThan(5);
    const empty = await get(`/api/audit-events?to=${from}&action=group.create`).expect(200);
    expect(empty.body.items).toEqual([]);

    for (const bad of [
      'action=key.explode',
      'outcome=maybe',
      'actorId=nope',
      'cursor=abc',
      'limit=0',
      'limit=201',
      'from=yesterday',
      `from=${to}&to=${from}`,
      'unknown=1',
    ]) {
      const response = await get(`/api/audit-events?${bad}`);
      expect([bad, response.status]).toEqual([bad, 400]);
      expect(response.body.error.message).toBeTruthy();
    }

    const exported = await get('/api/audit-events/export?action=group.create').expect(200);
    expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEventDto);
    expect(lines.map((line) => line.target.label)).toEqual(['Page 4', 'Page 3', 'Page 2', 'Page 1', 'Page 0']);
    const audits = (await get('/api/audit-events?action=audit.export').expect(200)).body.items;
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      actor: { label: 'admin' },
      changes: { after: { filters: { action: 'group.create' } } },
    });

    // Readers need audit:read.
    await get('/api/audit-events', world.alice.cookie).expect(403);
    await get('/api/audit-events/export', world.alice.cookie).expect(403);
  });

  it('refuses updates, deletes and truncation from the application’s connection', async () => {
    await world.app.instance.app.get(AuditSealer).sealPending();
    const [row] = await query<{ id: string }>(`SELECT id::text AS id FROM audit_events WHERE seq IS NOT NULL LIMIT 1`);
    await expect(query(`UPDATE audit_events SET action = 'user.delete' WHERE id = $1`, [row.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(query(`DELETE FROM audit_events WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
    await expect(query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    // An unsealed row is no more editable, and sealing may not smuggle in another change either.
    const [fresh] = await query<{ id: string }>(
      `INSERT INTO audit_events (actor_kind, action, outcome) VALUES ('system', 'settings.update', 'success')
       RETURNING id::text AS id`,
    );
    await expect(query(`UPDATE audit_events SET reason = 'tampered' WHERE id = $1`, [fresh.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(
      query(`UPDATE audit_events SET seq = 999999, prev_hash = $2, hash = $2, reason = 'x' WHERE id = $1`, [
        fresh.id,
        '0'.repeat(64),
      ]),
    ).rejects.toThrow(/append-only/);
    // A sealed row cannot be sealed again.
    await expect(query(`UPDATE audit_events SET seq = seq + 1000000 WHERE id = $1`, [row.id])).rejects.toThrow(
      /append-only/,
    );
    // The purge flag is transaction-local to audit_purge(): setting it by hand is not a way around it
    // for an UPDATE, and outside the function nothing in the application sets it.
    await expect(
      world.app.instance.dataSource.transaction(async (manager) => {
        await manager.query(`SELECT set_config('codex_lb.audit_purge', 'on', true)`);
        await manager.query(`UPDATE audit_events SET action = 'user.delete' WHERE id = $1`, [row.id]);
      }),
    ).rejects.toThrow(/append-only/);
    expect((await verify()).ok).toBe(true);
  });

  it('verifies the chain, finds an edited row and a removed row', async () => {
    const clean = await verify();
    expect(clean.ok).toBe(true);
    expect(clean.checked).toBeGreaterThan(10);

    const [victim] = await query<{ id: string; action: string }>(
      `SELECT id::text AS id, action FROM audit_events WHERE seq IS NOT NULL ORDER BY seq OFFSET 3 LIMIT 1`,
    );
    await asSuperuser(async (client) => {
      await client.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await client.query(`UPDATE audit_events SET action = 'user.delete' WHERE id = $1`, [victim.id]);
      await client.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    });
    expect(await verify()).toMatchObject({ ok: false, firstBadId: victim.id });
    await asSuperuser(async (client) => {
      await client.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await client.query(`UPDATE audit_events SET action = $2 WHERE id = $1`, [victim.id, victim.action]);
      await client.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    });
    expect((await verify()).ok).toBe(true);

    // A removed row: the next one no longer links to its predecessor.
    const [gone, next] = await query<{ id: string }>(
      `SELECT id::text AS id FROM audit_events WHERE seq IS NOT NULL ORDER BY seq OFFSET 5 LIMIT 2`,
    );
    const saved = await removeRow(gone.id);
    expect(await verify()).toMatchObject({ ok: false, firstBadId: next.id });
    // Put it back exactly as it was: the chain verifies again.
    await restoreRow(saved);
    expect((await verify()).ok).toBe(true);
  });

  it('purges by retention through a checkpoint, and the chain still verifies (and still finds a removed first row)', async () => {
    const sealer = world.app.instance.app.get(AuditSealer);
    await sealer.sealPending();
    const [{ count: before }] = await query<{ count: string }>(`SELECT count(*)::text AS count FROM audit_events`);
    // Thirty-one days from now, every row so far is past the 30-day retention.
    const purged = await sealer.purge(new Date(Date.now() + 31 * DAY_MS));
    expect(purged).toBeGreaterThan(10);
    expect(purged).toBeLessThan(Number(before));
    const checkpoints = await query<{ changes: { after: { throughSeq: number; throughHash: string } } }>(
      `SELECT changes FROM audit_events WHERE action = 'audit.purge'`,
    );
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0].changes.after.throughHash).toMatch(/^[0-9a-f]{64}$/);
    const after = await verify();
    expect(after.ok).toBe(true);

    // New rows keep chaining after the checkpoint.
    await http()
      .post('/api/groups')
      .set('cookie', admin)
      .send({ slug: 'after-purge', name: 'After purge' })
      .expect(201);
    expect((await verify()).ok).toBe(true);

    // Dropping the oldest remaining row is not a purge: no checkpoint names its predecessor.
    const [first, second] = await query<{ id: string }>(
      `SELECT id::text AS id FROM audit_events WHERE seq IS NOT NULL ORDER BY seq LIMIT 2`,
    );
    const saved = await removeRow(first.id);
    expect(await verify()).toMatchObject({ ok: false, firstBadId: second.id });
    await restoreRow(saved);
    expect((await verify()).ok).toBe(true);
  });

  it('batches a flood of denials: a few rows with counts, a bounded queue, and no slowdown', async () => {
    const audit = world.app.instance.app.get(AuditService);
    await flush();
    const viewer = await createUserSession(world.app, admin, 'flood-viewer');
    await http().patch(`/api/users/${viewer.id}`).set('cookie', admin).send({ role: 'viewer' }).expect(200);

    // 1 000 real denials of one route by one principal.
    const started = Date.now();
    for (let batch = 0; batch < 20; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          http().post('/api/groups').set('cookie', viewer.cookie).send({ slug: 'nope', name: 'Nope' }),
        ),
      );
      expect(responses.every((response) => response.status === 403)).toBe(true);
    }
    const floodMs = Date.now() - started;
    await flush();
    const rows = await query<{ changes: { count?: number } | null }>(
      `SELECT changes FROM audit_events WHERE action = 'authz.denied' AND actor_id = $1`,
      [viewer.id],
    );
    const total = rows.reduce((sum, row) => sum + (row.changes?.count ?? 1), 0);
    expect(total).toBe(1000);
    // One row per deduplication window the flood lasted (2 s each), never one per request.
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(floodMs / 2000) + 2);

    // The same number of allowed requests is not faster than the denials were (loosely: the
    // denials cost no database write each).
    const allowedStarted = Date.now();
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => get('/api/groups', viewer.cookie)));
    }
    expect(floodMs).toBeLessThan((Date.now() - allowedStarted) * 3 + 1000);

    // 10 000 distinct denials at once: the queue holds AUDIT_QUEUE_MAX, drops and counts the rest.
    const dropsBefore = audit.droppedCount;
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      audit.recordSoon({
        action: 'authz.denied',
        actor: null,
        outcome: 'denied',
        target: { type: 'route', id: `GET /flood/${i}` },
        reason: 'flood',
      });
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(audit.droppedCount - dropsBefore).toBe(10_000 - AUDIT_QUEUE_MAX);
    await flush();
    const [{ count }] = await query<{ count: string }>(
      `SELECT count(*)::text AS count FROM audit_events WHERE reason = 'flood'`,
    );
    expect(Number(count)).toBe(AUDIT_QUEUE_MAX);
    expect((await verify()).ok).toBe(true);
  }, 120_000);

  it('keeps every secret out of every table and every log line', async () => {
    // A run of its own at debug level, capturing everything the process writes.
    const lines: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    const secrets: string[] = [ADMIN_PASSWORD];
    const fresh = await startWorld({ CODEX_LB_LOG_LEVEL: 'debug', CODEX_LB_LOGIN_FAILURES_BEFORE_BACKOFF: '100' });
    try {
      const api = () => request(fresh.app.url);
      // Passwords: users created, passwords changed, a failed login with a near-miss password.
      const carol = await createUserSession(fresh.app, fresh.admin, 'carol');
      secrets.push('carol-initial-pw', carol.password, 'alice-final-pw', 'bob-final-pw');
      await api()
        .post('/api/dashboard-auth/password/login')
        .send({ username: 'carol', password: 'carol-wrong-password-1' })
        .expect(401);
      secrets.push('carol-wrong-password-1');
      const carolAgain = await login(fresh.app, 'carol', carol.password);
      secrets.push(carolAgain.replace(/^[^=]+=/, ''), fresh.admin.replace(/^[^=]+=/, ''));
      // Key secrets: created, rotated, a service account's.
      const key = await createKey(fresh, carolAgain, { name: 'secret key' });
      const rotated = await api().post(`/api/api-keys/${key.id}/regenerate`).set('cookie', carolAgain).expect(200);
      const bot = await api()
        .post('/api/service-accounts')
        .set('cookie', fresh.admin)
        .send({ name: 'bot' })
        .expect(201);
      const botKey = await api()
        .post(`/api/service-accounts/${bot.body.id}/keys`)
        .set('cookie', fresh.admin)
        .send({ name: 'bot key' })
        .expect(201);
      secrets.push(key.key, rotated.body.key, botKey.body.key);
      // Tokens: an account added from an auth.json, then re-signed.
      const account = await addAccount(fresh, carolAgain, 'carol-seat@example.com');
      const authJson = fresh.fake.authJsonFor(account.seat) as { tokens: Record<string, string> };
      secrets.push(authJson.tokens.id_token, authJson.tokens.access_token, authJson.tokens.refresh_token);
      await api().post('/api/accounts/import').set('cookie', carolAgain).send(fresh.fake.authJsonFor(account.seat));
      // TOTP: enrolment, its secret and recovery codes, a sign-in with a code.
      const setup = await api()
        .post('/api/me/mfa/totp/setup')
        .set('cookie', carolAgain)
        .send({ password: carol.password });
      if (setup.status === 200) {
        const confirmed = await api()
          .post('/api/me/mfa/totp/confirm')
          .set('cookie', carolAgain)
          .send({ code: totpCode(setup.body.secret) })
          .expect(200);
        secrets.push(setup.body.secret, ...(confirmed.body.recoveryCodes as string[]));
      } else {
        // Two-factor sign-in is not part of this build: the TOTP half of the scan has nothing to find.
        expect(setup.status).toBe(404);
      }
      await fresh.app.instance.app.get(AuditService).flush();
      await fresh.app.instance.app.get(AuditSealer).sealPending();

      const tables = await fresh.app.instance.dataSource.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      const dump: string[] = [];
      for (const { tablename } of tables as { tablename: string }[]) {
        const rows = await fresh.app.instance.dataSource.query(
          `SELECT row_to_json(t)::text AS row FROM "${tablename}" t`,
        );
        for (const { row } of rows as { row: string }[]) dump.push(`${tablename}: ${row}`);
      }
      const auditRows = dump.filter((line) => line.startsWith('audit_events: '));
      expect(auditRows.length).toBeGreaterThan(10);
      expect(auditRows.some((line) => line.includes('auth.login_failed'))).toBe(true);

      const found = (haystack: string[]) =>
        secrets
          .filter((secret) => secret.length >= 8)
          .filter((secret) => haystack.some((line) => line.includes(secret)));
      expect(found(dump)).toEqual([]);
      expect(found(lines)).toEqual([]);
      expect(secrets.length).toBeGreaterThan(8);
    } finally {
      await fresh.close();
      process.stdout.write = out;
      process.stderr.write = err;
    }
  }, 120_000);

  it('works on the embedded database too (trigger, chain, purge function)', async () => {
    const embedded = await startTestApp({ embedded: true });
    try {
      const cookie = await login(embedded, 'admin', ADMIN_PASSWORD);
      await request(embedded.url)
        .post('/api/groups')
        .set('cookie', cookie)
        .send({ slug: 'emb', name: 'Emb' })
        .expect(201);
      await request(embedded.url)
        .post('/api/groups')
        .set('cookie', cookie)
        .send({ slug: 'emb2', name: 'Emb2' })
        .expect(201);
      const events = await request(embedded.url)
        .get('/api/audit-events?action=group.create')
        .set('cookie', cookie)
        .expect(200);
      expect(events.body.items).toHaveLength(2);
      await expect(embedded.instance.dataSource.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
      const sealer = embedded.instance.app.get(AuditSealer);
      expect(await sealer.purgeBefore(new Date(Date.now() + 1000))).toBeGreaterThan(0);
      const verified = await request(embedded.url).get('/api/audit-events/verify').set('cookie', cookie).expect(200);
      expect(verified.body.ok).toBe(true);
    } finally {
      await embedded.close();
    }
  }, 120_000);
});
