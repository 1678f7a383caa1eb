// A clean shutdown (what SIGTERM triggers) lets in-flight streams finish and writes their logs.
import { Client } from 'pg';
import { fetch } from 'undici';
import { addAccount, codexBody, createKey, startWorld, type World } from './support/proxy-world';

describe('graceful shutdown', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w.tap.close();
    await w.fake.close();
    await w.app.db?.drop();
  });

  it('drains a stream in flight, then flushes its request log', async () => {
    await addAccount(w, w.alice.cookie, 'drain@example.com');
    const { key, id } = await createKey(w, w.alice.cookie, { name: 'drain' });
    w.fake.configure({ eventDelayMs: 80 });
    const response = await fetch(`${w.app.url}/backend-api/codex/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(codexBody('finish me during shutdown')),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);

    const closing = w.app.instance.close();
    let text = Buffer.from(first.value!).toString();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    await closing;
    expect(text).toContain('response.completed');

    const client = new Client({ connectionString: w.app.db!.url });
    await client.connect();
    try {
      const rows = await client.query(`SELECT status, output_tokens FROM request_logs WHERE api_key_id = $1`, [id]);
      expect(rows.rows).toEqual([{ status: 'success', output_tokens: expect.any(Number) }]);
    } finally {
      await client.end();
    }
  });
});
