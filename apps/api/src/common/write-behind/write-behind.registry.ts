// Every write-behind buffer in the process, for the health report and for draining at shutdown.
// create() wires a new buffer to the dead-letter table and registers it.
import { Injectable, Logger } from '@nestjs/common';
import { DeadLetterRepository } from './dead-letter.repository';
import { WriteBehind, type WriteBehindOptions, type WriterSource, type WriterStats } from './write-behind';

@Injectable()
export class WriteBehindRegistry {
  private readonly sources = new Map<string, WriterSource>();

  constructor(private readonly deadLetters: DeadLetterRepository) {}

  create<T>(options: Omit<WriteBehindOptions<T>, 'deadLetters' | 'logger'>): WriteBehind<T> {
    const writer = new WriteBehind<T>({ ...options, deadLetters: this.deadLetters, logger: new Logger(options.name) });
    this.register(writer);
    return writer;
  }

  /** For a writer that keeps rows of its own before handing them to its buffer. */
  register(source: WriterSource): void {
    this.sources.set(source.name, source);
  }

  stats(): Record<string, WriterStats> {
    return Object.fromEntries([...this.sources].map(([name, source]) => [name, source.stats()]));
  }

  /** Writes everything every writer holds now, refused rows through to the dead-letter table. */
  async drainAll(): Promise<void> {
    for (const source of this.sources.values()) await source.drainAll();
  }
}
