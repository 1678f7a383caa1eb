// The Prometheus registry of one app: the proxy's hot-path series (proxy-metrics.ts), gauges
// computed on a scrape from what is already in memory (the account pool, in-flight exchanges,
// open WebSockets, the write-behind buffers, the database pool), a database round trip, and the
// process metrics of prom-client. Nothing here runs on the request path.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
import { RedisLink } from '../redis/redis-link';
import { ReplicaBus } from '../redis/replica-bus';
import { SETTINGS, type Settings } from '../../config/settings';
import { usability } from '../accounts/account-state';
import { AccountPool } from '../proxy/routing/account-pool';
import { ProxyService } from '../proxy/proxy.service';
import { ProxyWebSockets } from '../proxy/websocket/proxy-websockets';
import { registerFast } from './metric-series';
import { ProxyMetrics } from './proxy-metrics';

const DATABASE_PROBE_TIMEOUT_MS = 2_000;
const ACCOUNT_STATES = [
  'usable',
  'paused',
  'reauth_required',
  'deactivated',
  'quota_exhausted',
  'cooling_down',
  'backing_off',
] as const;

interface PgPool {
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
}

@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly proxyMetrics: ProxyMetrics,
    private readonly writers: WriteBehindRegistry,
    private readonly moduleRef: ModuleRef,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleInit(): void {
    if (!this.settings.metrics) return;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    for (const metric of [
      this.proxyMetrics.requests,
      this.proxyMetrics.latency,
      this.proxyMetrics.ttfb,
      this.proxyMetrics.upstream,
      this.proxyMetrics.keyLimitRefusals,
    ]) {
      registerFast(registry, metric);
    }
    this.proxyGauges(registry);
    this.accountGauges(registry);
    this.writerMetrics(registry);
    this.databaseGauges(registry);
    this.redisMetrics(registry);
  }

  /** Only with CODEX_LB_REDIS_URL: one process without Redis has no such series. */
  private redisMetrics(registry: Registry): void {
    const link = this.optional(RedisLink);
    const bus = this.optional(ReplicaBus);
    if (!link?.enabled || !bus) return;
    new Gauge({
      name: 'codex_lb_redis_up',
      help: 'Whether Redis answered a PING within 1 s on this scrape.',
      registers: [registry],
      async collect() {
        this.set((await link.ping()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'codex_lb_redis_invalidations_trusted',
      help: "Whether other replicas' invalidations reach this one now (0: caches are bypassed, fail closed).",
      registers: [registry],
      collect() {
        this.set(bus.trusted ? 1 : 0);
      },
    });
    new Counter({
      name: 'codex_lb_redis_cache_resyncs_total',
      help: 'Times every cached decision was dropped because invalidations may have been missed.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(bus.resyncs);
      },
    });
  }

  private optional<T>(type: new (...args: never[]) => T): T | null {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return null;
    }
  }

  private proxyGauges(registry: Registry): void {
    const optional = this.optional.bind(this);
    new Gauge({
      name: 'codex_lb_proxy_in_flight_requests',
      help: 'Proxied requests (and WebSocket turns) in flight: open streams included.',
      registers: [registry],
      collect() {
        this.set(optional(ProxyService)?.inFlight ?? 0);
      },
    });
    new Gauge({
      name: 'codex_lb_proxy_open_websockets',
      help: 'Client WebSockets open on the proxy.',
      registers: [registry],
      collect() {
        this.set(optional(ProxyWebSockets)?.open ?? 0);
      },
    });
  }

  private accountGauges(registry: Registry): void {
    const pool = () => this.optional(AccountPool);
    new Gauge({
      name: 'codex_lb_accounts',
      help: 'Upstream accounts by state (usable, or why not) in this instance.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = new Map<string, number>(ACCOUNT_STATES.map((state) => [state, 0]));
        const now = Date.now();
        for (const account of pool()?.all() ?? []) {
          const usable = usability(account, now);
          const state = usable.usable ? 'usable' : usable.reason;
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        this.reset();
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'codex_lb_account_usable',
      help: 'Whether an upstream account can serve now (1) or not (0), by account id.',
      labelNames: ['account'],
      registers: [registry],
      collect() {
        const now = Date.now();
        this.reset();
        for (const account of pool()?.all() ?? []) {
          this.set({ account: account.id }, usability(account, now).usable ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'codex_lb_account_cooldown_seconds',
      help: 'Seconds until an upstream account may be used again (rate-limit cooldown or error backoff); 0 when it may.',
      labelNames: ['account'],
      registers: [registry],
      collect() {
        const now = Date.now();
        this.reset();
        for (const account of pool()?.all() ?? []) {
          const until = Math.max(account.cooldownUntil, account.backoffUntil);
          this.set({ account: account.id }, until > now ? (until - now) / 1000 : 0);
        }
      },
    });
    new Gauge({
      name: 'codex_lb_account_quota_used_percent',
      help: 'Upstream usage window used, in percent, as last reported by the upstream (primary and secondary windows).',
      labelNames: ['account', 'window'],
      registers: [registry],
      collect() {
        this.reset();
        for (const account of pool()?.all() ?? []) {
          if (account.primaryUsed !== null) this.set({ account: account.id, window: 'primary' }, account.primaryUsed);
          if (account.secondaryUsed !== null) {
            this.set({ account: account.id, window: 'secondary' }, account.secondaryUsed);
          }
        }
      },
    });
  }

  private writerMetrics(registry: Registry): void {
    const writers = this.writers;
    new Gauge({
      name: 'codex_lb_writer_pending_rows',
      help: 'Rows a write-behind writer (request logs, key usage, ...) holds, waiting to be written.',
      labelNames: ['writer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [writer, stats] of Object.entries(writers.stats())) this.set({ writer }, stats.pending);
      },
    });
    new Gauge({
      name: 'codex_lb_writer_retrying_rows',
      help: 'Of the pending rows, those the database refused at least once.',
      labelNames: ['writer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [writer, stats] of Object.entries(writers.stats())) this.set({ writer }, stats.retrying);
      },
    });
    new Counter({
      name: 'codex_lb_writer_dead_lettered_rows_total',
      help: 'Rows a writer gave up on and moved to the dead-letter table, since start.',
      labelNames: ['writer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [writer, stats] of Object.entries(writers.stats())) this.inc({ writer }, stats.deadLettered);
      },
    });
    new Counter({
      name: 'codex_lb_writer_dropped_rows_total',
      help: 'Rows a writer dropped because its buffer was full, since start.',
      labelNames: ['writer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [writer, stats] of Object.entries(writers.stats())) this.inc({ writer }, stats.dropped);
      },
    });
  }

  private databaseGauges(registry: Registry): void {
    const dataSource = this.dataSource;
    new Gauge({
      name: 'codex_lb_database_up',
      help: 'Whether Postgres answered a trivial query within 2 s on this scrape.',
      registers: [registry],
      async collect() {
        this.set((await probe(dataSource)) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'codex_lb_database_pool_connections',
      help: 'Postgres pool connections: total open, idle, and requests waiting for one.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
        this.set({ state: 'total' }, pool?.totalCount ?? 0);
        this.set({ state: 'idle' }, pool?.idleCount ?? 0);
        this.set({ state: 'waiting' }, pool?.waitingCount ?? 0);
      },
    });
  }
}

/** One trivial query, bounded: a scrape never hangs on an unreachable database. */
export async function probe(dataSource: DataSource, timeoutMs = DATABASE_PROBE_TIMEOUT_MS): Promise<boolean> {
  if (!dataSource.isInitialized) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([dataSource.query('SELECT 1').then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
