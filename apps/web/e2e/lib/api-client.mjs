// Setup that is not under test goes straight to the API (a second user and their data, a
// request through the proxy). Cookie requests carry the dashboard's Origin, as a browser would.

export class ApiSession {
  constructor(apiUrl, origin) {
    this.apiUrl = apiUrl;
    this.origin = origin;
    this.cookie = '';
  }

  async request(method, path, body) {
    const headers = { accept: 'application/json', origin: this.origin };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('codex_lb_session='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await response.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return data;
  }

  login(username, password) {
    return this.request('POST', '/api/dashboard-auth/password/login', { username, password });
  }
}

/** A new seat on the fake upstream, with the auth.json Codex CLI would have written for it. */
export async function newFakeSeat(fakeBase, email) {
  const response = await fetch(`${fakeBase}/__fake/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, planType: 'plus' }),
  });
  if (!response.ok) throw new Error(`fake upstream refused a new seat: HTTP ${response.status}`);
  return response.json();
}

/** One OpenAI-style chat request through the gateway with an API key; returns the JSON answer. */
export async function chatThroughProxy(apiUrl, key, content) {
  const response = await fetch(`${apiUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.1-codex', messages: [{ role: 'user', content }] }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /v1/chat/completions: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
