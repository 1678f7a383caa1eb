import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import type { OAuthStatusResponse, StartOAuthResponse } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../../common/decorators';
import { IdParam } from '../../../common/validation';
import type { Principal } from '../../../common/principal';
import { ManualCallbackDto, StartOAuthDto } from '../dto/account.dto';
import { OAuthService } from './oauth.service';

@Controller('api/oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('start')
  @RequirePermission('accounts:write')
  start(@CurrentPrincipal() principal: Principal, @Body() dto: StartOAuthDto): Promise<StartOAuthResponse> {
    return this.oauth.start(principal, dto.flow, dto.ownerId);
  }

  @Get('status/:flowId')
  @RequirePermission('accounts:write')
  status(@CurrentPrincipal() principal: Principal, @IdParam('flowId') flowId: string): Promise<OAuthStatusResponse> {
    return this.oauth.status(principal, flowId);
  }

  @Post('manual-callback')
  @HttpCode(200)
  @RequirePermission('accounts:write')
  manualCallback(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ManualCallbackDto,
  ): Promise<OAuthStatusResponse> {
    return this.oauth.manualCallback(principal, dto.flowId, dto.callbackUrl);
  }
}
