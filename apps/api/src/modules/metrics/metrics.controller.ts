import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../../common/api-error';
import { Public } from '../../common/decorators';
import { SETTINGS, type Settings } from '../../config/settings';
import { MetricsService } from './metrics.service';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Prometheus scrapes, outside the dashboard's auth: open unless CODEX_LB_METRICS_TOKEN is set,
 * then only with `Authorization: Bearer <token>` (compared in constant time). 404 when
 * CODEX_LB_METRICS=false.
 */
@Controller('metrics')
export class MetricsController {
  private readonly token: Buffer | null;

  constructor(
    private readonly service: MetricsService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.token = settings.metricsToken === null ? null : digest(settings.metricsToken);
  }

  @Get()
  @Public()
  scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!this.settings.metrics) throw ApiError.notFound('Metrics');
    if (this.token !== null) {
      const match = /^Bearer (.+)$/i.exec(authorization ?? '');
      if (!match || !timingSafeEqual(digest(match[1]), this.token)) {
        throw new ApiError(401, 'unauthenticated', 'Send the metrics token as a bearer token.', {
          'www-authenticate': 'Bearer realm="metrics"',
        });
      }
    }
    // Set here, not by decorator: an error above answers in the JSON envelope.
    void reply.header('content-type', this.service.contentType).header('cache-control', 'no-store');
    return this.service.metrics();
  }
}
