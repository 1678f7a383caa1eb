// Sign-in, the session, sign-out and password change. A correct password for a user with
// two-factor sign-in answers {authenticated: false, mfaRequired: true} with a short-lived pending
// cookie and no session; POST mfa/verify with a code completes it.
import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedSession, LoginResponse, SessionResponse } from '@codex-lb/shared';
import {
  AllowPendingMfaEnrolment,
  AllowPendingPasswordChange,
  CurrentPrincipal,
  Public,
  RequirePermission,
} from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { cookieNames, cookieOptions, type CookieNames } from '../../common/session-cookie';
import { SETTINGS, type Settings } from '../../config/settings';
import type { UserEntity } from '../users/user.entity';
import { AuthService, type ClientMeta } from './auth.service';
import { ChangePasswordDto } from './dto/auth.dto';
import { MfaCodeDto } from './dto/mfa.dto';
import { LocalAuthGuard } from './local-auth.guard';
import { MFA_PENDING_SECONDS } from './mfa.service';

export function clientMeta(request: FastifyRequest): ClientMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

@Controller('api/dashboard-auth')
export class AuthController {
  private readonly cookies: CookieNames;

  constructor(
    private readonly auth: AuthService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.cookies = cookieNames(settings);
  }

  @Post('password/login')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard, LocalAuthGuard)
  async login(
    @Req() request: FastifyRequest & { user: UserEntity },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponse> {
    const outcome = await this.auth.login(request.user, clientMeta(request));
    if (outcome.kind === 'mfa') {
      reply.setCookie(this.cookies.mfaPending, outcome.pendingToken, cookieOptions(this.cookies, MFA_PENDING_SECONDS));
      return { authenticated: false, mfaRequired: true };
    }
    this.setSessionCookie(reply, outcome.token);
    return outcome.session;
  }

  @Post('mfa/verify')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  async verifyMfa(
    @Body() dto: MfaCodeDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthenticatedSession> {
    const { token, session } = await this.auth.verifyMfa(
      request.cookies?.[this.cookies.mfaPending],
      dto,
      clientMeta(request),
    );
    reply.clearCookie(this.cookies.mfaPending, { path: '/', secure: this.cookies.secure });
    this.setSessionCookie(reply, token);
    return session;
  }

  @Get('session')
  @Public()
  session(@CurrentPrincipal() principal: Principal | undefined): SessionResponse {
    return this.auth.session(principal);
  }

  @Post('logout')
  @HttpCode(200)
  @Public()
  async logout(
    @CurrentPrincipal() principal: Principal | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ authenticated: false }> {
    await this.auth.logout(
      request.cookies?.[this.cookies.session],
      principal,
      request.cookies?.[this.cookies.mfaPending],
    );
    reply.clearCookie(this.cookies.session, { path: '/', secure: this.cookies.secure });
    reply.clearCookie(this.cookies.mfaPending, { path: '/', secure: this.cookies.secure });
    return { authenticated: false };
  }

  @Post('password/change')
  @HttpCode(200)
  @RequirePermission('profile:write')
  @AllowPendingPasswordChange()
  @AllowPendingMfaEnrolment()
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthenticatedSession> {
    const { token, session } = await this.auth.changePassword(principal, dto, clientMeta(request));
    this.setSessionCookie(reply, token);
    return session;
  }

  private setSessionCookie(reply: FastifyReply, token: string): void {
    reply.setCookie(
      this.cookies.session,
      token,
      cookieOptions(this.cookies, this.settings.sessionAbsoluteTimeoutSeconds),
    );
  }
}
