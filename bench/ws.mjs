// The WebSocket scenarios of `npm run bench`, called by bench/run.mjs once the fake upstream and
// codex-lb are up:
//   ws-turns: turns per second over a fixed number of open sockets (each warmed up, then turns
//     that continue the previous response with one new message, as Codex does), against a bare
//     WebSocket pass-through (bench/ws-bare.mjs) in the same run, interleaved in slices.
//   ws-idle:  RSS per 1,000 idle bridged sockets (each opened, warmed up and left open), codex-lb
//     and the bare pass-through: RSS with the sockets open minus RSS before, after a pause.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { childJob, keptChild } from './child-job.mjs';
import { Histogram } from './histogram.mjs';

const IDLE_SOCKETS = Number(process.env.BENCH_WS_IDLE_SOCKETS ?? 1000);

/**
 * ctx: { bench, start, track, freePort, cpuTicksOf, rssMb, clkTck, log, fake: {pid, base},
 * bareSeat: {token, accountId}, product: {pid, origin, apiKey}, connections, durationMs, rounds,
 * sliceWarmupMs }. Returns table rows in run.mjs's shape plus the idle figures.
 */
export async function runWebSocketScenarios(ctx) {
  const port = await ctx.freePort();
  const bare = await ctx.start(
    'bare websocket proxy',
    [join(ctx.bench, 'ws-bare.mjs')],
    {
      BARE_PORT: String(port),
      BARE_UPSTREAM: ctx.fake.base,
      BARE_TOKEN: ctx.bareSeat.token,
      BARE_ACCOUNT_ID: ctx.bareSeat.accountId,
    },
    /listening/,
  );
  const targets = {
    bare: { name: 'bare ws proxy', pids: [bare.pid], origin: `http://127.0.0.1:${port}`, apiKey: null },
    product: { name: 'codex-lb', pids: [ctx.product.pid], origin: ctx.product.origin, apiKey: ctx.product.apiKey },
  };
  const path = '/backend-api/codex/responses';

  const loadChild = () => {
    const child = fork(join(ctx.bench, 'ws-load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    ctx.track(child, 'ws load');
    return child;
  };

  // One load generator for every turns slice, warm after the first (bench/child-job.mjs).
  const turnsLoad = keptChild(loadChild);
  const slice = async (target, durationMs) => {
    let startTicks = null;
    let endTicks = null;
    const result = await childJob(
      turnsLoad.get(),
      'ws load',
      {
        type: 'turns',
        config: {
          origin: target.origin,
          path,
          apiKey: target.apiKey,
          connections: ctx.connections,
          warmupMs: ctx.sliceWarmupMs,
          durationMs,
        },
      },
      (msg) => {
        if (msg.type === 'measuring') startTicks = ctx.cpuTicksOf(target.pids);
        else if (msg.type === 'measured') endTicks = ctx.cpuTicksOf(target.pids);
      },
    );
    return { ...result, ticks: endTicks[0] + endTicks[1] - startTicks[0] - startTicks[1] };
  };

  const aggregate = (target, slices) => {
    const hist = new Histogram();
    for (const r of slices) hist.merge(r.histogram, r.histogramMaxUs);
    const ok = slices.reduce((a, r) => a + r.ok, 0);
    const elapsedMs = slices.reduce((a, r) => a + r.elapsedMs, 0);
    const ticks = slices.reduce((a, r) => a + r.ticks, 0);
    const bad = slices.reduce((a, r) => a + r.bad, 0);
    const badSample = slices.find((r) => r.badSample)?.badSample ?? null;
    if (bad > 0) ctx.log(`ws-turns on ${target.name}: ${bad} failed turns, e.g. ${badSample}`);
    return {
      scenario: 'ws-turns',
      target: target.name,
      connections: ctx.connections,
      ok,
      bad,
      rps: ok / (elapsedMs / 1000),
      p50Ms: hist.quantile(0.5) / 1000,
      p99Ms: hist.quantile(0.99) / 1000,
      cpuMsPerReq: ((ticks / ctx.clkTck) * 1000) / Math.max(1, ok),
      rssMb: Math.max(...target.pids.map(ctx.rssMb)),
    };
  };

  // Turns per second, interleaved like the HTTP scenarios.
  const perSlice = Math.round(ctx.durationMs / ctx.rounds);
  const slices = { bare: [], product: [] };
  for (let round = 0; round < ctx.rounds; round += 1) {
    const order = round % 2 ? ['product', 'bare'] : ['bare', 'product'];
    for (const which of order) slices[which].push(await slice(targets[which], perSlice));
  }
  turnsLoad.stop();
  const bareRow = aggregate(targets.bare, slices.bare);
  const productRow = aggregate(targets.product, slices.product);
  productRow.rpsRatio = productRow.rps / bareRow.rps;
  productRow.cpuRatio = productRow.cpuMsPerReq / bareRow.cpuMsPerReq;
  productRow.ratios = {
    'bare ws': {
      rps: productRow.rpsRatio,
      p50: productRow.p50Ms / bareRow.p50Ms,
      p99: productRow.p99Ms / bareRow.p99Ms,
      cpu: productRow.cpuRatio,
      rss: productRow.rssMb / bareRow.rssMb,
    },
  };
  for (const r of [bareRow, productRow]) {
    ctx.log(
      `ws-turns     ${r.target.padEnd(22)} c=${r.connections}  ${r.rps.toFixed(0).padStart(5)} turns/s  p50 ${r.p50Ms.toFixed(2)} ms  cpu ${r.cpuMsPerReq.toFixed(3)} ms/turn`,
    );
  }

  // RSS per 1,000 idle bridged sockets.
  const idle = {};
  for (const which of ['bare', 'product']) {
    const target = targets[which];
    await new Promise((r) => setTimeout(r, 1500));
    const before = ctx.rssMb(target.pids[0]);
    const child = loadChild();
    const opened = new Promise((resolve, reject) => {
      child.on('message', (msg) => {
        if (msg.type === 'opened') resolve(msg.count);
        else if (msg.type === 'error') reject(new Error(`ws idle load failed: ${msg.error}`));
      });
      child.once('exit', (code) => code !== 0 && reject(new Error(`ws idle load exited with ${code}`)));
    });
    child.send({
      type: 'idle',
      config: { origin: target.origin, path, apiKey: target.apiKey, count: IDLE_SOCKETS },
    });
    const count = await opened;
    await new Promise((r) => setTimeout(r, 2000));
    const withSockets = ctx.rssMb(target.pids[0]);
    const closed = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'close' });
    await closed;
    idle[which] = {
      sockets: count,
      beforeMb: before,
      openMb: withSockets,
      mbPer1000: ((withSockets - before) * 1000) / count,
    };
    ctx.log(
      `ws-idle      ${target.name.padEnd(22)} ${count} sockets: RSS ${before.toFixed(0)} -> ${withSockets.toFixed(0)} MB (${idle[which].mbPer1000.toFixed(1)} MB per 1,000)`,
    );
  }
  return { rows: [bareRow, productRow], idle };
}

/** The lines run.mjs prints for the idle scenario. */
export function idleLines(idle) {
  if (!idle) return [];
  const line = (name, r) =>
    `  ${name.padEnd(16)} ${String(r.sockets).padStart(5)} sockets  RSS ${r.beforeMb.toFixed(0)} -> ${r.openMb.toFixed(0)} MB  ${r.mbPer1000.toFixed(1)} MB per 1,000 sockets`;
  return [
    'ws-idle: RSS per 1,000 idle bridged sockets (opened, warmed up once, held open):',
    line('bare ws proxy', idle.bare),
    line('codex-lb', idle.product),
  ];
}
