// WebSocket load generator, forked by bench/ws.mjs so its CPU is not the target's. Two jobs:
//   {type:'turns', config}: `connections` sockets, each warmed up as Codex does (the whole first
//     request with generate:false), then looping turns that continue the previous response with
//     one new user message (what a Codex socket sends after its first turn). Latency is the time
//     from sending response.create to the turn's response.completed. Reports {type:'measuring'},
//     {type:'measured'}, then {type:'result', result} like load.mjs, and waits for the next job: one
//     process serves every turns slice (warm after the first, as bench/load.mjs explains), and
//     exits on {type:'exit'} or when the parent goes away.
//   {type:'idle', config}: opens `count` sockets (each warmed up once, so it is bridged and used),
//     reports {type:'opened'}, holds them until {type:'close'}, then reports {type:'closed'}.
import { WebSocket } from 'ws';
import { codexRequest } from './bodies.mjs';
import { Histogram } from './histogram.mjs';

const TERMINAL = /"type":"(response\.completed|response\.failed|response\.incomplete|error)"/;

function headersFor(config, sessionHeaders) {
  const headers = { 'openai-beta': 'responses_websockets=2026-02-06' };
  for (const name of ['session-id', 'thread-id', 'x-codex-turn-metadata', 'originator', 'user-agent']) {
    if (sessionHeaders[name]) headers[name] = sessionHeaders[name];
  }
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  return headers;
}

/** One socket driven turn by turn. */
class Session {
  constructor(config) {
    const first = codexRequest();
    const body = JSON.parse(first.body);
    delete body.stream;
    this.warmup = JSON.stringify({ type: 'response.create', ...body, generate: false });
    this.model = body.model;
    this.headers = headersFor(config, first.headers);
    this.url = `${config.origin.replace(/^http/, 'ws')}${config.path}`;
    this.previous = null;
    this.n = 0;
    this.pending = null;
  }

  open() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url, { headers: this.headers, perMessageDeflate: true });
      this.ws.on('message', (data) => this.onFrame(data.toString()));
      this.ws.once('open', resolve);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      this.ws.on('error', (error) => {
        reject(error);
        this.pending?.(null, String(error));
      });
      this.ws.on('close', () => this.pending?.(null, 'socket closed'));
    });
  }

  onFrame(text) {
    const match = TERMINAL.exec(text);
    if (!match || !this.pending) return;
    const ok = match[1] === 'response.completed';
    const id = ok ? /"response":\{"id":"([^"]+)"/.exec(text)?.[1] : null;
    this.pending(ok ? id : null, ok ? null : text.slice(0, 300));
  }

  /** Sends a frame and resolves with the completed response's id (null and a sample on failure). */
  send(frame) {
    return new Promise((resolve) => {
      this.pending = (id, sample) => {
        this.pending = null;
        resolve({ id, sample });
      };
      this.ws.send(frame);
    });
  }

  async warm() {
    const { id, sample } = await this.send(this.warmup);
    if (!id) throw new Error(`warm-up failed: ${sample}`);
    this.previous = id;
  }

  async turn() {
    this.n += 1;
    const frame = JSON.stringify({
      type: 'response.create',
      model: this.model,
      previous_response_id: this.previous,
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `next step ${this.n}` }] }],
      store: false,
    });
    const result = await this.send(frame);
    if (result.id) this.previous = result.id;
    return result;
  }

  close() {
    this.ws?.close();
  }
}

async function openAll(config, count) {
  const sessions = [];
  // Opened in batches, as many clients connecting over a moment would.
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => new Session(config));
    await Promise.all(batch.map(async (s) => (await s.open(), await s.warm())));
    sessions.push(...batch);
  }
  return sessions;
}

async function turns(config) {
  const sessions = await openAll(config, config.connections);
  const hist = new Histogram();
  let measuring = false;
  let stopped = false;
  let bad = 0;
  let badSample = null;
  const worker = async (s) => {
    while (!stopped) {
      const start = process.hrtime.bigint();
      const { id, sample } = await s.turn();
      const us = Number(process.hrtime.bigint() - start) / 1000;
      if (!measuring || stopped) continue;
      if (id) hist.record(us);
      else {
        bad += 1;
        badSample ??= sample;
        if (s.ws.readyState !== WebSocket.OPEN) return;
      }
    }
  };
  const workers = sessions.map(worker);
  await new Promise((r) => setTimeout(r, config.warmupMs));
  measuring = true;
  const t0 = performance.now();
  process.send({ type: 'measuring' });
  await new Promise((r) => setTimeout(r, config.durationMs));
  const elapsedMs = performance.now() - t0;
  stopped = true;
  process.send({ type: 'measured' });
  await Promise.all(workers);
  for (const s of sessions) s.close();
  return {
    connections: config.connections,
    elapsedMs,
    ok: hist.total,
    bad,
    badSample,
    histogram: [...hist.counts].flatMap((c, i) => (c > 0 ? [[i, c]] : [])),
    histogramMaxUs: hist.max,
  };
}

let idle = [];
process.on('message', (msg) => {
  const fail = (err) => process.send({ type: 'error', error: String(err?.stack ?? err) }, () => process.exit(1));
  if (msg?.type === 'turns') {
    turns(msg.config).then((result) => process.send({ type: 'result', result }), fail);
  } else if (msg?.type === 'idle') {
    openAll(msg.config, msg.config.count).then((sessions) => {
      idle = sessions;
      process.send({ type: 'opened', count: sessions.length });
    }, fail);
  } else if (msg?.type === 'exit') {
    process.exit(0);
  } else if (msg?.type === 'close') {
    for (const s of idle) s.close();
    idle = [];
    setTimeout(() => process.send({ type: 'closed' }, () => process.exit(0)), 500);
  }
});
process.on('disconnect', () => process.exit(0));
