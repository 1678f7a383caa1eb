import { Controller, Get } from '@nestjs/common';
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

  /** The database and the background writers (pending, retrying, dead-lettered rows). */
  @Get('ready')
  @Public()
  ready(): Promise<Readiness> {
    return this.service.readiness();
  }
}
