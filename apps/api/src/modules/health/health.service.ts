// Liveness (cheap: one round trip) and readiness (the database and every background writer:
// rows waiting, rows retried, rows given up on). Readiness answers 200 while the database is
// away: the proxy keeps serving from memory and its writers store what they hold once it is
// back, so the instance should stay in rotation; the report says it is degraded.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeadLetterRepository } from '../../common/write-behind/dead-letter.repository';
import { WriteBehindRegistry } from '../../common/write-behind/write-behind.registry';
import type { WriterStats } from '../../common/write-behind/write-behind';

export interface Readiness {
  status: 'ok' | 'degraded';
  database: 'ok' | 'unavailable';
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
    const degraded =
      deadLetterTable === null || Object.values(writers).some((w) => w.deadLettered > 0 || w.dropped > 0);
    return {
      status: degraded ? 'degraded' : 'ok',
      database: deadLetterTable === null ? 'unavailable' : 'ok',
      writers,
      deadLetterTable,
    };
  }
}
