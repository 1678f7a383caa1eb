import { Controller, Get, Query } from '@nestjs/common';
import type { DashboardOverviewResponse } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { DashboardService } from './dashboard.service';
import { OwnerFilterQueryDto } from './dto/usage.dto';

@Controller('api/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('overview')
  @RequirePermission('usage:read')
  overview(
    @CurrentPrincipal() principal: Principal,
    @Query() query: OwnerFilterQueryDto,
  ): Promise<DashboardOverviewResponse> {
    return this.dashboard.overview(principal, query);
  }
}
