// Global: any module's writer can ask for a write-behind buffer, and health reads them all.
import { Global, Module } from '@nestjs/common';
import { DeadLetterRepository } from './dead-letter.repository';
import { WriteBehindRegistry } from './write-behind.registry';

@Global()
@Module({
  providers: [DeadLetterRepository, WriteBehindRegistry],
  exports: [DeadLetterRepository, WriteBehindRegistry],
})
export class WriteBehindModule {}
