// Two-factor sign-in routes: the caller's own enrolment under /api/me/mfa (reachable while the
// policy still asks them to enrol), and the admin reset of another user's second factor.
import { Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { MfaStatus, RecoveryCodesResponse, TotpSetupResponse } from '@codex-lb/shared';
import { AllowPendingMfaEnrolment, CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { IdParam } from '../../common/validation';
import { MfaCodeDto, TotpConfirmDto, TotpSetupDto } from './dto/mfa.dto';
import { MfaService } from './mfa.service';

@Controller('api/me/mfa')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get()
  @RequirePermission('profile:write')
  @AllowPendingMfaEnrolment()
  status(@CurrentPrincipal() principal: Principal): Promise<MfaStatus> {
    return this.mfa.status(principal);
  }

  @Post('totp/setup')
  @HttpCode(200)
  @RequirePermission('profile:write')
  @AllowPendingMfaEnrolment()
  setup(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: TotpSetupDto,
    @Req() request: FastifyRequest,
  ): Promise<TotpSetupResponse> {
    return this.mfa.setup(principal, dto.password, request.ip ?? null);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @RequirePermission('profile:write')
  @AllowPendingMfaEnrolment()
  confirm(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: TotpConfirmDto,
    @Req() request: FastifyRequest,
  ): Promise<RecoveryCodesResponse> {
    return this.mfa.confirm(principal, dto.code, request.ip ?? null);
  }

  @Delete('totp')
  @HttpCode(204)
  @RequirePermission('profile:write')
  async disable(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: MfaCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.mfa.disable(principal, dto, request.ip ?? null);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @RequirePermission('profile:write')
  regenerate(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: MfaCodeDto,
    @Req() request: FastifyRequest,
  ): Promise<RecoveryCodesResponse> {
    return this.mfa.regenerateRecoveryCodes(principal, dto, request.ip ?? null);
  }
}

@Controller('api/users')
export class MfaAdminController {
  constructor(private readonly mfa: MfaService) {}

  /** Removes another user's second factor and ends their sessions (audited as user.mfa_reset). */
  @Delete(':id/mfa')
  @RequirePermission('users:manage')
  reset(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<{ enrolled: false }> {
    return this.mfa.adminReset(principal, id);
  }
}
