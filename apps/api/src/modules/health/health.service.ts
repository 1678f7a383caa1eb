// Liveness (cheap: one round trip; /live without it) and readiness (the database and every
// background writer: rows waiting, rows retried, rows given up on). Readiness is false, and
// GET /api/health/ready a 503, while the database is unavailable: a load balancer sends new
// traffic to instances that can reach it. An instance left alone still serves the proxy from
// memory and its writers store what they hold once the database is back; the report says so.
// Migrations run before the server listens, so nothing answers while they run.
// With CODEX_LB_REDIS_URL set, Redis is part of readiness too: an instance that cannot reach it
// keeps serving (keys read from Postgres on every request), but cannot confirm other replicas'
// revocations or hold the shared limits, so a load balancer should prefer the others.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RedisLink } from '../redis/redis-link';
import { DeadLetterRepository } from '../../common/write-behind/dead-letter.repository';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
import type { WriterStats } from '../../common/write-behind/write-behind';

export interface Readiness {
  /** Whether this instance should receive traffic (false while the database is unavailable). */
  ready: boolean;
  status: 'ok' | 'degraded';
  database: 'ok' | 'unavailable';
  /** 'disabled' without CODEX_LB_REDIS_URL (one instance). */
  redis: 'ok' | 'unavailable' | 'disabled';
  /** Per writer, since this process started. */
  writers: Record<string, WriterStats>;
  /** Rows in the dead-letter table per writer (null while the database is unavailable). */
  deadLetterTable: Record<string, number> | null;
}

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writers: WriteBehindRegistry,
    private readonly deadLetters: DeadLetterRepository,
    private readonly redis: RedisLink,
  ) {}

  async health(): Promise<{ status: 'ok' }> {
    await this.dataSource.query('SELECT 1');
    return { status: 'ok' };
  }

  async readiness(): Promise<Readiness> {
    const writers = this.writers.stats();
    let deadLetterTable: Record<string, number> | null = null;
    try {
      deadLetterTable = await this.deadLetters.countByWriter();
    } catch {
      // Reported below as an unavailable database; the writers' figures are from memory.
    }
    const redis = !this.redis.enabled ? 'disabled' : (await this.redis.ping()) ? 'ok' : 'unavailable';
    const degraded =
      deadLetterTable === null ||
      redis === 'unavailable' ||
      Object.values(writers).some((w) => w.deadLettered > 0 || w.dropped > 0);
    return {
      ready: deadLetterTable !== null && redis !== 'unavailable',
      status: degraded ? 'degraded' : 'ok',
      database: deadLetterTable === null ? 'unavailable' : 'ok',
      redis,
      writers,
      deadLetterTable,
    };
  }
}
