// The official OpenAI SDK works unmodified against the gateway (pointed at the fake upstream).
import OpenAI from 'openai';
import { addAccount, createKey, startWorld, type World } from './support/proxy-world';

describe('official OpenAI SDK against the gateway', () => {
  let w: World;
  let client: OpenAI;

  beforeAll(async () => {
    w = await startWorld();
    await addAccount(w, w.alice.cookie, 'sdk@example.com');
    const { key } = await createKey(w, w.alice.cookie, { name: 'sdk' });
    client = new OpenAI({ apiKey: key, baseURL: `${w.app.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => w.close());

  it('runs chat completions, streaming and not', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-5.1-codex',
      messages: [{ role: 'user', content: 'hello from the sdk' }],
    });
    expect(completion.choices[0].message.content).toBe('Echo: hello from the sdk');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: 'gpt-5.1-codex',
      messages: [{ role: 'user', content: 'stream from the sdk' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Echo: stream from the sdk');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
  });

  it('runs the Responses API, streaming and not, and lists models', async () => {
    const response = await client.responses.create({ model: 'gpt-5.1-codex', input: 'responses via sdk' });
    expect(response.output_text).toBe('Echo: responses via sdk');

    const events: string[] = [];
    const stream = await client.responses.create({ model: 'gpt-5.1-codex', input: 'stream responses', stream: true });
    for await (const event of stream) events.push(event.type);
    expect(events).toContain('response.output_text.delta');
    expect(events[events.length - 1]).toBe('response.completed');

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-5.1-codex');
  });

  it('surfaces gateway errors as SDK errors with the code', async () => {
    const bad = new OpenAI({ apiKey: 'sk-clb-wrong', baseURL: `${w.app.url}/v1`, maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: 'gpt-5.1-codex', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });
});
