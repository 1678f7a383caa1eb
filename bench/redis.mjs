// "codex-stream with Redis": a second codex-lb process on the same database with
// CODEX_LB_REDIS_URL set, measured in slices interleaved with the product without Redis (same
// key, same accounts, same fake upstream), so the figure is Redis's cost to the proxy path:
// invalidation bus, shared sticky bindings and the rest, on one replica. Redis must answer at
// BENCH_REDIS_URL (default redis://127.0.0.1:6379); the run uses database 12 there and empties it
// before and after. Without a reachable Redis the scenario is skipped with a line saying so.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const TARGET_REDIS_RATIO = 0.8;
const REDIS_DB = 12;

export async function runRedisScenario(ctx) {
  const require = createRequire(join(ctx.root, 'apps/api/package.json'));
  const Redis = require('ioredis');
  const base = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
  base.pathname = `/${REDIS_DB}`;
  const url = base.toString();
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.flushdb();
  } catch (error) {
    redis.disconnect();
    ctx.log(`codex-stream with Redis: skipped, no Redis at ${url} (${error.message})`);
    return null;
  }
  try {
    const port = await ctx.freePort();
    // With the product's own Node flags.
    const replica = await ctx.start('codex-lb with Redis', [...ctx.productFlags, 'apps/api/dist/main.js'], {
      ...ctx.productEnv,
      // The product's data directory: its encryption key file opens the same stored tokens.
      CODEX_LB_PORT: String(port),
      CODEX_LB_REDIS_URL: url,
    });
    const origin = `http://127.0.0.1:${port}`;
    await ctx.waitForHttp(`${origin}/api/health`, replica);
    const withRedis = {
      name: 'codex-lb + Redis',
      pids: [replica.pid],
      upstreamPid: ctx.product.upstreamPid,
      origin,
      apiKey: ctx.product.apiKey,
    };
    const scenario = { name: 'codex-stream with Redis', shape: 'codex', path: '/backend-api/codex/responses' };
    // The replica starts here, fresh, and a fresh process serves its first ~12 s of load at
    // 1.4-4x its steady CPU per request (JIT compilation). Both targets are warmed up for three
    // times BENCH_WARMUP_MS first (the unmeasured load each target gets before the HTTP rows, one
    // warm-up per scenario), the product too (with BENCH_ONLY=redis it has served little yet), so
    // the slices compare steady states.
    if (ctx.warmupMs > 0) {
      for (const target of [withRedis, ctx.product]) {
        await ctx.runLoad(target, {
          shape: scenario.shape,
          path: scenario.path,
          connections: ctx.connections,
          warmupMs: ctx.warmupMs * 3,
          durationMs: 1,
          maxRequests: ctx.maxRequests,
        });
      }
    }
    const order = [ctx.product, withRedis];
    const slices = new Map(order.map((t) => [t, []]));
    const durationMs = Math.round(ctx.durationMs / ctx.rounds);
    for (let round = 0; round < ctx.rounds; round += 1) {
      for (const target of round % 2 === 0 ? order : [...order].reverse()) {
        slices.get(target).push(
          await ctx.runLoad(target, {
            shape: scenario.shape,
            path: scenario.path,
            connections: ctx.connections,
            warmupMs: ctx.sliceWarmupMs,
            durationMs,
            maxRequests: ctx.maxRequests,
          }),
        );
      }
    }
    await ctx.stopChild(replica);
    const without = ctx.aggregate(slices.get(ctx.product));
    const withIt = ctx.aggregate(slices.get(withRedis));
    const { rps: ratio, cpu: cpuRatio, rpsByRound } = ctx.ratiosTo(withIt, without);
    const rows = [
      { scenario: scenario.name, target: 'codex-lb (no Redis)', ...without },
      { scenario: scenario.name, target: 'codex-lb + Redis', ...withIt, rpsRatioNoRedis: ratio },
    ];
    const bad = withIt.bad + without.bad;
    ctx.log(
      `${scenario.name}: ${withIt.rps.toFixed(0)} req/s vs ${without.rps.toFixed(0)} without Redis (${ratio.toFixed(2)}x; CPU/req ${cpuRatio.toFixed(2)}x)`,
    );
    return {
      rows,
      lines: [
        `codex-stream with Redis (${ctx.connections} conns, ${ctx.rounds} slices each, interleaved): codex-lb + Redis ${withIt.rps.toFixed(0)} req/s, p50 ${withIt.p50Ms.toFixed(2)} ms, CPU ${withIt.cpuMsPerReq.toFixed(3)} ms/req; without Redis ${without.rps.toFixed(0)} req/s, p50 ${without.p50Ms.toFixed(2)} ms, CPU ${without.cpuMsPerReq.toFixed(3)} ms/req: ${ratio.toFixed(2)}x req/s, ${cpuRatio.toFixed(2)}x CPU/req`,
      ],
      verdict: {
        scenario: 'redis',
        check: `req/s with Redis >= ${TARGET_REDIS_RATIO}x without`,
        value: `${ratio.toFixed(2)}x${ctx.spreadOf(rpsByRound)}`,
        pass: ratio >= TARGET_REDIS_RATIO && bad === 0,
      },
    };
  } finally {
    try {
      await redis.flushdb();
    } catch {}
    redis.disconnect();
  }
}
