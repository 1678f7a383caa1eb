// Codex wire details over HTTP: compaction (the legacy compact route turned into a /responses call
// with the trigger, and the trigger passed through), turn state bound to its account, and the
// model catalogue's ETag.
import request from 'supertest';
import { parseSse } from '../src/fake-upstream';
import { addAccount, codexBody, createKey, postCodex, startWorld, type World } from './support/proxy-world';

describe('proxy: compaction, turn state and the model catalogue', () => {
  let w: World;
  let key: string;
  let seats: string[];

  beforeAll(async () => {
    w = await startWorld();
    const a = await addAccount(w, w.alice.cookie, 'wire-a@example.com');
    const b = await addAccount(w, w.alice.cookie, 'wire-b@example.com');
    seats = [a.seat.chatgptAccountId, b.seat.chatgptAccountId];
    key = (await createKey(w, w.alice.cookie)).key;
  });
  afterAll(() => w.close());

  const last = () => w.fake.requests[w.fake.requests.length - 1];

  it('turns /responses/compact into a /responses call with the trigger and answers exactly one compaction item', async () => {
    const history = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
    ];
    const response = await request(w.app.url)
      .post('/backend-api/codex/responses/compact')
      .set('authorization', `Bearer ${key}`)
      .send({ model: 'gpt-5.1-codex', instructions: 'You are Codex.', input: history, temperature: 0.2 })
      .expect(200);
    const output = response.body.output as { type: string; role?: string }[];
    expect(output.filter((item) => item.type === 'compaction')).toHaveLength(1);
    expect(output.filter((item) => item.type === 'message').map((item) => item.role)).toEqual(['user', 'user']);
    expect(response.body.usage.input_tokens).toBeGreaterThan(0);

    const sent = last();
    expect(sent.path).toBe('/backend-api/codex/responses');
    const body = sent.body as { input: { type: string }[]; stream: boolean; store: boolean };
    expect(body).toMatchObject({ stream: true, store: false });
    expect(body).not.toHaveProperty('temperature');
    expect(body.input[body.input.length - 1]).toEqual({ type: 'compaction_trigger' });
    expect(body.input).toHaveLength(4);
  });

  it('passes a compaction_trigger item through on /responses: the answer holds exactly one compaction item', async () => {
    const body = codexBody('compact me');
    body.input = [...body.input, { type: 'compaction_trigger' } as never];
    const response = await postCodex(w, key, body).expect(200);
    const completed = parseSse(response.text).find((e) => e.event === 'response.completed');
    const output = (completed!.data as { response: { output: { type: string }[] } }).response.output;
    expect(output).toHaveLength(1);
    expect(output[0].type).toBe('compaction');
    const sent = last().body as { input: { type: string }[] };
    expect(sent.input[sent.input.length - 1]).toEqual({ type: 'compaction_trigger' });
  });

  it('never sends a WebSocket warm-up flag (generate) upstream over HTTP', async () => {
    await postCodex(w, key, codexBody('not a warm-up', { generate: false })).expect(200);
    expect(last().body).not.toHaveProperty('generate');
  });

  it('hands the upstream turn state to the client and keeps requests echoing it on its account', async () => {
    const first = await postCodex(w, key, codexBody('start a turn', { prompt_cache_key: 'ts-0' })).expect(200);
    const turnState = first.headers['x-codex-turn-state'];
    expect(turnState).toMatch(/^ts_/);
    const account = last().chatgptAccountId;
    expect(seats).toContain(account);
    for (let i = 1; i <= 6; i++) {
      await postCodex(w, key, codexBody(`within the turn ${i}`, { prompt_cache_key: `ts-${i}` }), {
        'x-codex-turn-state': turnState,
      }).expect(200);
      expect(last().chatgptAccountId).toBe(account);
      expect(last().headers['x-codex-turn-state']).toBe(turnState);
    }
  });

  it('answers the catalogue Codex parses, with an ETag honoured by If-None-Match', async () => {
    const first = await request(w.app.url)
      .get('/backend-api/codex/models?client_version=0.169.0')
      .set('authorization', `Bearer ${key}`)
      .expect(200);
    const model = first.body.models.find((m: { slug: string }) => m.slug === 'gpt-5.1-codex');
    expect(model).toMatchObject({ context_window: expect.any(Number), shell_type: expect.any(String) });
    expect(model.supported_reasoning_levels.length).toBeGreaterThan(0);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^".+"$/);
    await request(w.app.url)
      .get('/backend-api/codex/models?client_version=0.169.0')
      .set('authorization', `Bearer ${key}`)
      .set('if-none-match', etag)
      .expect(304);
    // Without a version the gateway asks for a current one (the upstream hides newer models).
    await request(w.app.url).get('/backend-api/codex/models').set('authorization', `Bearer ${key}`).expect(200);
  });
});
