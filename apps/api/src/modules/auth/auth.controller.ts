import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedSession, SessionResponse } from '@codex-lb/shared';
import { SESSION_COOKIE } from '../../common/access.guard';
import { AllowPendingPasswordChange, CurrentPrincipal, Public, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import type { UserEntity } from '../users/user.entity';
import { AuthService, type ClientMeta } from './auth.service';
import { ChangePasswordDto } from './dto/auth.dto';
import { LocalAuthGuard } from './local-auth.guard';

function clientMeta(request: FastifyRequest): ClientMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

@Controller('api/dashboard-auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Post('password/login')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard, LocalAuthGuard)
  async login(
    @Req() request: FastifyRequest & { user: UserEntity },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthenticatedSession> {
    const { token, session } = await this.auth.login(request.user, clientMeta(request));
    this.setCookie(request, reply, token);
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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ authenticated: false }> {
    await this.auth.logout(request.cookies?.[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { authenticated: false };
  }

  @Post('password/change')
  @HttpCode(200)
  @RequirePermission('profile:write')
  @AllowPendingPasswordChange()
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthenticatedSession> {
    const { token, session } = await this.auth.changePassword(principal, dto, clientMeta(request));
    this.setCookie(request, reply, token);
    return session;
  }

  private setCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: this.settings.sessionAbsoluteTimeoutSeconds,
    });
  }
}
