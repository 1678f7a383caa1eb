import { Controller, Get, Query } from '@nestjs/common';
import type { UsageSummaryResponse, UsageTimeseriesResponse } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { UsageSummaryQueryDto, UsageTimeseriesQueryDto } from './dto/usage.dto';
import { UsageService } from './usage.service';

@Controller('api/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /** Default range: the last 24 hours, widened to whole UTC hours. */
  @Get('summary')
  @RequirePermission('usage:read')
  summary(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageSummaryQueryDto,
  ): Promise<UsageSummaryResponse> {
    return this.usage.summary(principal, query);
  }

  @Get('timeseries')
  @RequirePermission('usage:read')
  timeseries(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageTimeseriesQueryDto,
  ): Promise<UsageTimeseriesResponse> {
    return this.usage.timeseries(principal, query);
  }
}
