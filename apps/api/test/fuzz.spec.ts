// Fuzzes every route of the route table (the dashboard API and the proxy) with generated hostile
// path parameters, query strings and bodies, as anonymous, a `user`, an `admin` and an API key.
// Fails on any answer with status >= 500, any answer slower than FUZZ_SLOW_MS, any error body
// larger than 8 KB, any error body that shows a stack trace, and background writers that gave up
// on or dropped rows the fuzzed requests produced. `npm test` runs a small sample (FUZZ_RUNS cases
// per route and principal); `npm run fuzz` runs the full suite. FUZZ_SEED replays a run; the seed
// is printed with the per-route table.
//
// The time bound is for a quiet machine. A slow answer is sent twice more and counts only if
// every attempt is slow, and on a busy machine the bound grows by how much slower than quiet a
// reference workload (one bcrypt comparison at the cost the app uses) runs in this process.
import bcrypt from 'bcryptjs';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { DASHBOARD_ORIGIN, createUserSession } from './support/app';
import {
  authJsonArbitrary,
  bodyArbitrary,
  excerpt,
  HEAVY,
  paramArbitrary,
  queryArbitrary,
  type WireBody,
} from './support/fuzz-inputs';
import { addAccount, codexBody, createKey, flushLogs, startWorld, type World } from './support/proxy-world';
import { collectRoutes, type RouteInfo } from './support/routes';
import type { WriterStats } from '../src/common/write-behind/write-behind';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 6));
const SLOW_MS = Number(process.env.FUZZ_SLOW_MS ?? 1_000);
const MAX_ERROR_BODY_BYTES = 8 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MISSING_ID = '00000000-0000-4000-8000-000000000000';
/** One bcrypt comparison at cost 12 on a quiet machine (the login and password routes do one). */
const QUIET_BCRYPT_MS = 300;

/** The slow bound for this machine now: SLOW_MS, scaled up when the reference runs slower than quiet. */
function calibratedSlowBound(): { bound: number; referenceMs: number } {
  const hash = bcrypt.hashSync('reference', 12);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    bcrypt.compareSync('other', hash);
    times.push(performance.now() - started);
  }
  const referenceMs = times.sort((a, b) => a - b)[1];
  return {
    bound: Math.round(SLOW_MS * Math.max(1, referenceMs / QUIET_BCRYPT_MS)),
    referenceMs: Math.round(referenceMs),
  };
}

type PrincipalName = 'anonymous' | 'user' | 'admin' | 'key';
const PRINCIPALS: PrincipalName[] = ['anonymous', 'user', 'admin', 'key'];

interface Case {
  path: string;
  query: string;
  body?: WireBody;
}

interface Finding {
  route: string;
  principal: PrincipalName;
  problem: string;
  status: number;
  ms: number;
  input: string;
}

interface Answer {
  status: number;
  ms: number;
  text: string;
}

const STACK_TRACE = /\n\s+at |node_modules|\.ts:\d+/;

/** What is wrong with one answer, its time aside. */
function problemsWith(answer: Answer): string[] {
  const problems: string[] = [];
  const size = Buffer.byteLength(answer.text);
  if (answer.status >= 500) problems.push(`status ${answer.status} ${excerpt(answer.text, 200)}`);
  if (answer.status >= 400 && size > MAX_ERROR_BODY_BYTES) problems.push(`error body of ${size} bytes`);
  if (answer.status >= 400 && STACK_TRACE.test(answer.text)) problems.push('stack trace in body');
  return problems;
}

interface RouteTally {
  cases: number;
  byClass: Record<string, number>;
  slowestMs: number;
}

/** Bodies each route would accept, so most mutations reach the checks past the first one. */
function baseBodies(): Record<string, object> {
  const codex = codexBody('fuzz', { stream: true });
  return {
    'POST /api/dashboard-auth/password/login': { username: 'admin', password: 'not-the-password' },
    'POST /api/dashboard-auth/password/change': { currentPassword: 'wrong-password-1', newPassword: 'new-password-1' },
    'POST /api/users': { username: 'fuzzed', password: 'fuzzed-password-1', role: 'user' },
    'PATCH /api/users/:id': { role: 'user', isActive: true },
    'PATCH /api/accounts/:id': { alias: 'fuzz' },
    'PATCH /api/accounts/:id/owner': { ownerId: MISSING_ID },
    'POST /api/oauth/start': { flow: 'device' },
    'POST /api/oauth/manual-callback': {
      flowId: MISSING_ID,
      callbackUrl: 'http://localhost:1455/auth/callback?code=x',
    },
    'POST /api/api-keys': {
      name: 'fuzzed key',
      expiresAt: '2100-01-01T00:00:00.000Z',
      allowedModels: ['gpt-5.1-codex'],
      limits: [{ kind: 'requests', window: 'daily', max: 10 }],
    },
    'PATCH /api/api-keys/:id': { name: 'renamed', isActive: true, accountIds: [MISSING_ID] },
    'POST /backend-api/codex/responses': codex,
    'POST /backend-api/codex/v1/responses': codex,
    'POST /backend-api/codex/responses/compact': { ...codex, stream: undefined },
    'POST /backend-api/codex/v1/responses/compact': { ...codex, stream: undefined },
    'POST /v1/responses': { model: 'gpt-5.1-codex', input: 'fuzz', stream: false },
    'POST /v1/chat/completions': {
      model: 'gpt-5.1-codex',
      messages: [{ role: 'user', content: 'fuzz' }],
      stream: true,
      stream_options: { include_usage: true },
    },
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

describe('fuzz: every route, hostile input, every principal', () => {
  let w: World;
  let agent: Agent;
  let key: string;
  let routes: RouteInfo[];
  const realIds: Record<string, string[]> = {};
  const headersFor: Record<PrincipalName, Record<string, string>> = {
    anonymous: {},
    user: {},
    admin: {},
    key: {},
  };

  beforeAll(async () => {
    w = await startWorld();
    // The key (and its one account) belong to bob; the `user` principal is alice, so accounts she
    // imports while fuzzed never join the key's pool.
    await addAccount(w, w.bob.cookie, 'bob-fuzz@example.com');
    key = (await createKey(w, w.bob.cookie, { name: 'fuzz key' })).key;
    const aliceAccount = await addAccount(w, w.alice.cookie, 'alice-fuzz@example.com');
    const aliceKey = await createKey(w, w.alice.cookie, { name: 'alice target' });
    const target = await createUserSession(w.app, w.admin, 'fuzz-target');
    await request(`${w.app.url}/backend-api/codex/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(codexBody('seed a log row')),
    }).then((response) => response.body.text());
    await flushLogs(w);
    const logs: { id: string }[] = await w.app.instance.dataSource.query('SELECT id FROM request_logs LIMIT 1');
    realIds['/api/users/'] = [target.id];
    realIds['/api/accounts/'] = [aliceAccount.id];
    realIds['/api/api-keys/'] = [aliceKey.id];
    realIds['/api/request-logs/'] = logs.map((row) => row.id);

    headersFor.user = { cookie: w.alice.cookie, origin: DASHBOARD_ORIGIN };
    headersFor.admin = { cookie: w.admin, origin: DASHBOARD_ORIGIN };
    headersFor.key = { authorization: `Bearer ${key}` };
    agent = new Agent({ connections: 4, headersTimeout: 60_000, bodyTimeout: 60_000 });
    routes = collectRoutes(w.app.instance.app);
  });
  afterAll(async () => {
    await agent?.close();
    await w?.close();
  });

  /** The cases for one route: generated from the seed, the route and the principal. */
  function casesFor(route: RouteInfo, principal: PrincipalName, bases: Record<string, object>): Case[] {
    const params = route.path.match(/:[A-Za-z]+/g) ?? [];
    // Never hand a real id to a route that destroys or replaces what the other cases use.
    const destructive = route.method === 'DELETE' || route.path.endsWith('/regenerate');
    const ids = destructive
      ? []
      : (Object.entries(realIds).find(([prefix]) => route.path.startsWith(prefix))?.[1] ?? []);
    const hasBody = !['GET', 'HEAD'].includes(route.method);
    const body =
      route.key === 'POST /api/accounts/import'
        ? fc.oneof(authJsonArbitrary, bodyArbitrary(undefined))
        : bodyArbitrary(bases[route.key]);
    const arbitrary = fc.record({
      params: fc.tuple(...params.map(() => paramArbitrary(ids))),
      query: queryArbitrary,
      body: hasBody ? fc.option(body, { freq: 8 }) : fc.constant(null),
    });
    const cases: Case[] = fc
      .sample(arbitrary, { numRuns: RUNS, seed: SEED ^ hash(`${route.key} ${principal}`) })
      .map((drawn) => {
        let path = route.path;
        params.forEach((name, i) => (path = path.replace(name, drawn.params[i] as string)));
        return { path, query: drawn.query, body: drawn.body ?? undefined };
      });
    // The heavy bodies (deep, wide, huge) reach every body-taking route once per run, as the
    // principal that gets furthest into it.
    if (hasBody && principal === (route.apiKey ? 'key' : 'admin')) {
      const path = route.path.replace(/:[A-Za-z]+/g, ids[0] ?? MISSING_ID);
      for (const body of HEAVY) cases.push({ path, query: '', body });
    }
    return cases;
  }

  async function send(route: RouteInfo, principal: PrincipalName, input: Case): Promise<Answer> {
    const headers: Record<string, string> = { ...headersFor[principal] };
    if (input.body?.contentType !== undefined) headers['content-type'] = input.body.contentType;
    if (route.apiKey) headers.accept = 'text/event-stream';
    const started = performance.now();
    const response = await request(`${w.app.url}${input.path}${input.query}`, {
      method: route.method as 'GET',
      headers,
      body: input.body?.body,
      dispatcher: agent,
    });
    const text = await response.body.text();
    return { status: response.statusCode, ms: performance.now() - started, text };
  }

  /** Writer figures once the writers have had time to store what the run produced. */
  async function settledWriters(): Promise<Record<string, WriterStats>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      await flushLogs(w).catch(() => undefined);
      const response = await request(`${w.app.url}/api/health/ready`, { dispatcher: agent });
      const report = (await response.body.json()) as { writers: Record<string, WriterStats> };
      const pending = Object.values(report.writers).some((stats) => stats.pending > 0);
      if (!pending || Date.now() > deadline) return report.writers;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it(
    `answers ${RUNS} generated cases per route and principal without a 5xx, a slow answer or an oversized error`,
    async () => {
      const bases = baseBodies();
      const findings: Finding[] = [];
      const tallies = new Map<string, RouteTally>();
      let slowest = { ms: 0, where: '' };
      let clientErrors = 0;
      const { bound: slowBound, referenceMs } = calibratedSlowBound();

      for (const route of routes) {
        const tally: RouteTally = { cases: 0, byClass: {}, slowestMs: 0 };
        tallies.set(route.key, tally);
        for (const principal of PRINCIPALS) {
          // Logging out a fuzzing session would end it; the route is fuzzed without one.
          if (route.key.endsWith('/logout') && (principal === 'user' || principal === 'admin')) continue;
          for (const input of casesFor(route, principal, bases)) {
            const described = `${route.method} ${excerpt(input.path + input.query, 160)}${input.body ? ` body: ${input.body.label}` : ''}`;
            let result: Answer;
            try {
              result = await send(route, principal, input);
            } catch (error) {
              // The client refused to send it, or the server dropped the connection.
              const message =
                error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : '';
              if (/UND_ERR_INVALID_ARG|InvalidArgument/i.test(message)) {
                clientErrors++;
                continue;
              }
              findings.push({
                route: route.key,
                principal,
                problem: `no answer (${message.trim()})`,
                status: 0,
                ms: 0,
                input: described,
              });
              tally.cases++;
              continue;
            }
            tally.cases++;
            const statusClass = `${Math.floor(result.status / 100)}xx`;
            tally.byClass[statusClass] = (tally.byClass[statusClass] ?? 0) + 1;
            tally.slowestMs = Math.max(tally.slowestMs, result.ms);
            if (result.ms > slowest.ms) slowest = { ms: result.ms, where: `${principal} ${described}` };
            const problems = problemsWith(result);
            if (result.ms > slowBound) {
              // Counted only if it is slow every time: a scheduling hiccup is not the route's cost.
              const times = [result.ms];
              for (let i = 0; i < 2; i++) times.push((await send(route, principal, input).catch(() => result)).ms);
              if (Math.min(...times) > slowBound) problems.push(`slow: ${times.map(Math.round).join('/')} ms`);
            }
            for (const problem of problems) {
              findings.push({
                route: route.key,
                principal,
                problem,
                status: result.status,
                ms: Math.round(result.ms),
                input: described,
              });
            }
          }
        }
      }

      // The fuzzed proxy requests were logged and metered: every row is stored, none given up on.
      const writers = await settledWriters();
      for (const [name, stats] of Object.entries(writers)) {
        if (stats.deadLettered > 0 || stats.dropped > 0 || stats.pending > 0) {
          findings.push({
            route: 'background writer',
            principal: 'key',
            problem: `${name}: ${JSON.stringify(stats)}`,
            status: 0,
            ms: 0,
            input: 'the requests above',
          });
        }
      }

      const rows = [...tallies].map(([route, tally]) => ({
        route,
        cases: tally.cases,
        '2xx': tally.byClass['2xx'] ?? 0,
        '3xx': tally.byClass['3xx'] ?? 0,
        '4xx': tally.byClass['4xx'] ?? 0,
        '5xx': tally.byClass['5xx'] ?? 0,
        'slowest ms': Math.round(tally.slowestMs),
      }));
      const total = rows.reduce((sum, row) => sum + row.cases, 0);
      const fiveXx = rows.reduce((sum, row) => sum + row['5xx'], 0);
      console.log(
        [
          `fuzz: seed ${SEED}, ${RUNS} runs per route and principal, ${total} cases over ${rows.length} routes`,
          `${fiveXx} answers >= 500, ${findings.length} findings, ${clientErrors} inputs the client would not send`,
          `slowest answer ${Math.round(slowest.ms)} ms: ${slowest.where}`,
          `slow bound ${slowBound} ms (reference bcrypt ${referenceMs} ms; ${QUIET_BCRYPT_MS} ms when quiet)`,
          `writers after the run: ${JSON.stringify(writers)}`,
          '',
          ...rows.map(
            (row) =>
              `${row.route.padEnd(48)} ${String(row.cases).padStart(6)} cases  2xx ${String(row['2xx']).padStart(5)}  ` +
              `4xx ${String(row['4xx']).padStart(5)}  5xx ${String(row['5xx']).padStart(4)}  slowest ${String(row['slowest ms']).padStart(6)} ms`,
          ),
          ...(findings.length
            ? ['', 'findings:', ...findings.map((f) => `${f.route} as ${f.principal}: ${f.problem} <- ${f.input}`)]
            : []),
        ].join('\n'),
      );

      expect(total).toBeGreaterThanOrEqual(routes.length * RUNS);
      expect(findings.slice(0, 40).map((f) => `${f.route} as ${f.principal}: ${f.problem} <- ${f.input}`)).toEqual([]);
    },
    300_000 + RUNS * 60_000,
  );
});
