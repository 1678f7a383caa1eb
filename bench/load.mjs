// Load generator, run as a forked child so its CPU is not the target's. A fixed number of
// keep-alive connections, each looping one request at a time for a warm-up and then a fixed
// measured window (bounded by a request cap). Latency is the time to the last byte of the response,
// recorded in a log-bucket histogram (0.5 % resolution). Talks to the parent over IPC:
//   parent -> {type:'run', config}     child -> {type:'measuring'} at the start of the window,
//   {type:'measured'} at its end, then {type:'result', result}.
// One process serves every run of the bench, one after the other, and exits when the parent sends
// {type:'exit'} or goes away: a new process per slice spent most of a 2.5 s slice compiling its
// own code (its rate climbed for ~1.5 s, at ~1.5x its steady CPU per request), so the slices
// measured the load generator's warm-up as much as the target (bench/BASELINE.md).
import { Pool } from 'undici';
import { chatRequest, codexRequest } from './bodies.mjs';
import { Histogram } from './histogram.mjs';

function requestsFor(config) {
  const out = [];
  for (let c = 0; c < config.connections; c += 1) {
    const r = config.shape === 'codex' ? codexRequest() : chatRequest(config.shape === 'chat-stream', c);
    const headers = { ...r.headers };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    out.push({ body: r.body, headers });
  }
  return out;
}

const MARKERS = {
  codex: Buffer.from('response.completed'),
  'chat-stream': Buffer.from('data: [DONE]'),
  'chat-json': Buffer.from('"chat.completion"'),
};

async function run(config) {
  const pool = new Pool(config.origin, {
    connections: config.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    bodyTimeout: 30_000,
    headersTimeout: 30_000,
  });
  const requests = requestsFor(config);
  const marker = MARKERS[config.shape];
  const hist = new Histogram();
  const statuses = {};
  let measuring = false;
  let stopped = false;
  let completed = 0;
  let issued = 0;
  let bad = 0;
  let badSample = null;
  let bytes = 0;

  async function once(r) {
    const start = process.hrtime.bigint();
    let status = 0;
    let ok = false;
    let sample = '';
    try {
      const res = await pool.request({ method: 'POST', path: config.path, headers: r.headers, body: r.body });
      status = res.statusCode;
      let tail = Buffer.alloc(0);
      for await (const chunk of res.body) {
        if (!ok)
          ok =
            chunk.includes(marker) ||
            (tail.length > 0 && Buffer.concat([tail, chunk.subarray(0, 64)]).includes(marker));
        tail = chunk.subarray(Math.max(0, chunk.length - 64));
        if (measuring) bytes += chunk.length;
        if (status !== 200 && sample.length < 400) sample += chunk.toString('utf8').slice(0, 400);
      }
    } catch (err) {
      sample = String(err);
    }
    const us = Number(process.hrtime.bigint() - start) / 1000;
    if (!measuring || stopped) return;
    statuses[status] = (statuses[status] ?? 0) + 1;
    completed += 1;
    if (status === 200 && ok) hist.record(us);
    else {
      bad += 1;
      badSample ??= `status ${status}: ${sample || '(terminal event missing)'}`;
    }
  }

  async function worker(c) {
    const r = requests[c];
    while (!stopped && issued < config.maxRequests) {
      if (measuring) issued += 1;
      await once(r);
    }
  }

  const workers = [];
  for (let c = 0; c < config.connections; c += 1) workers.push(worker(c));
  await new Promise((r) => setTimeout(r, config.warmupMs));
  measuring = true;
  const t0 = performance.now();
  process.send({ type: 'measuring' });
  const end = t0 + config.durationMs;
  while (performance.now() < end && issued < config.maxRequests) {
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, end - performance.now()))));
  }
  const elapsedMs = performance.now() - t0;
  stopped = true;
  process.send({ type: 'measured' });
  await Promise.all(workers);
  await pool.close();
  const good = hist.total;
  return {
    connections: config.connections,
    elapsedMs,
    completed,
    ok: good,
    bad,
    badSample,
    statuses,
    rps: good / (elapsedMs / 1000),
    p50Ms: hist.quantile(0.5) / 1000,
    p99Ms: hist.quantile(0.99) / 1000,
    maxMs: hist.max / 1000,
    // Sparse histogram, so the parent can merge interleaved slices: [[bucket, count], ...].
    histogram: [...hist.counts].flatMap((c, i) => (c > 0 ? [[i, c]] : [])),
    histogramMaxUs: hist.max,
    mbReceived: bytes / 1e6,
  };
}

process.on('message', (msg) => {
  if (msg?.type === 'exit') process.exit(0);
  if (msg?.type !== 'run') return;
  run(msg.config).then(
    (result) => process.send({ type: 'result', result }),
    (err) => process.send({ type: 'error', error: String(err?.stack ?? err) }, () => process.exit(1)),
  );
});
process.on('disconnect', () => process.exit(0));
