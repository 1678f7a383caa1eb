// Global: the proxy's meter reports into ProxyMetrics without importing this module.
import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { ProxyMetrics } from './proxy-metrics';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [ProxyMetrics, MetricsService],
  exports: [ProxyMetrics],
})
export class MetricsModule {}
