import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/decorators';
import { HealthService, type Readiness } from './health.service';

@Controller('api/health')
export class HealthController {
  constructor(private readonly service: HealthService) {}

  /** Liveness plus a database round trip, for container health checks. */
  @Get()
  @Public()
  health(): Promise<{ status: 'ok' }> {
    return this.service.health();
  }

  /** The process answers (no database round trip): restart it only when this fails. */
  @Get('live')
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Whether to send this instance traffic: 503 while the database is unavailable, with the same
   * report (the database and the background writers: pending, retrying, dead-lettered rows).
   */
  @Get('ready')
  @Public()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const readiness = await this.service.readiness();
    if (!readiness.ready) void reply.status(503).header('retry-after', '5');
    return readiness;
  }
}
