// The routes of company sign-in. Thin: one service call per handler.
// - /api/identity-providers (identity-providers:manage): providers, the connection test, invitations;
// - /api/auth-settings (identity-providers:manage): the local-login policy;
// - /api/dashboard-auth (public): the login page's provider list, the start (a redirect to the
//   provider, with the state's browser-binding cookie) and the callback (the redirect URI);
// - /api/me/identities (profile:write): the caller's own linked identities.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  AuthSettingsDto,
  IdentityInvitationDto,
  IdentityProviderDto,
  IdentityProviderTestResult,
  LinkedIdentityDto,
  LoginOptionsResponse,
  StartLinkResponse,
} from '@codex-lb/shared';
import { CurrentPrincipal, Public, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { cookieNames, cookieOptions, type CookieNames } from '../../common/session-cookie';
import { IdParam } from '../../common/validation';
import { SETTINGS, type Settings } from '../../config/settings';
import { clientMeta } from '../auth/auth.controller';
import { MFA_PENDING_SECONDS } from '../auth/mfa.service';
import { AuthSettingsService } from './auth-settings.service';
import {
  CreateIdentityInvitationDto,
  CreateIdentityProviderDto,
  OidcStartQueryDto,
  UpdateAuthSettingsDto,
  UpdateIdentityProviderDto,
} from './dto/identity.dto';
import { IdentityProvidersService } from './identity-providers.service';
import { MyIdentitiesService } from './my-identities.service';
import { OIDC_STATE_SECONDS, OidcSignInService } from './oidc-sign-in.service';

export const OIDC_STATE_COOKIE_BASE = 'codex_lb_oidc';

function stateCookieName(cookies: CookieNames): string {
  return `${cookies.secure ? '__Host-' : ''}${OIDC_STATE_COOKIE_BASE}`;
}

/** A slug from the path: anything else answers like an unknown provider. */
function slugParam(value: string): string {
  return /^[a-z0-9][a-z0-9-]{1,31}$/.test(value) ? value : '-';
}

@Controller('api/identity-providers')
export class IdentityProvidersController {
  constructor(private readonly providers: IdentityProvidersService) {}

  @Get()
  @RequirePermission('identity-providers:manage')
  async list(): Promise<{ items: IdentityProviderDto[] }> {
    return { items: await this.providers.list() };
  }

  @Post()
  @RequirePermission('identity-providers:manage')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateIdentityProviderDto,
  ): Promise<IdentityProviderDto> {
    return this.providers.create(principal, dto);
  }

  @Get(':id')
  @RequirePermission('identity-providers:manage')
  get(@IdParam() id: string): Promise<IdentityProviderDto> {
    return this.providers.get(id);
  }

  @Patch(':id')
  @RequirePermission('identity-providers:manage')
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: UpdateIdentityProviderDto,
  ): Promise<IdentityProviderDto> {
    return this.providers.update(principal, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('identity-providers:manage')
  delete(@IdParam() id: string): Promise<void> {
    return this.providers.delete(id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @RequirePermission('identity-providers:manage')
  test(@IdParam() id: string): Promise<IdentityProviderTestResult> {
    return this.providers.test(id);
  }

  @Get(':id/invitations')
  @RequirePermission('identity-providers:manage')
  async invitations(@IdParam() id: string): Promise<{ items: IdentityInvitationDto[] }> {
    return { items: await this.providers.invitations(id) };
  }

  @Post(':id/invitations')
  @RequirePermission('identity-providers:manage')
  invite(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: CreateIdentityInvitationDto,
  ): Promise<IdentityInvitationDto> {
    return this.providers.invite(principal, id, dto);
  }

  @Delete(':id/invitations/:invitationId')
  @HttpCode(204)
  @RequirePermission('identity-providers:manage')
  uninvite(@IdParam() id: string, @IdParam('invitationId') invitationId: string): Promise<void> {
    return this.providers.uninvite(id, invitationId);
  }
}

@Controller('api/auth-settings')
export class AuthSettingsController {
  constructor(private readonly settings: AuthSettingsService) {}

  @Get()
  @RequirePermission('identity-providers:manage')
  get(): Promise<AuthSettingsDto> {
    return this.settings.get();
  }

  @Patch()
  @RequirePermission('identity-providers:manage')
  update(@Body() dto: UpdateAuthSettingsDto): Promise<AuthSettingsDto> {
    return this.settings.update(dto);
  }
}

@Controller('api/dashboard-auth')
export class OidcController {
  private readonly cookies: CookieNames;

  constructor(
    private readonly signIn: OidcSignInService,
    private readonly mine: MyIdentitiesService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.cookies = cookieNames(settings);
  }

  @Get('providers')
  @Public()
  providers(): Promise<LoginOptionsResponse> {
    return this.mine.loginOptions();
  }

  // Throttled like the password login: each start stores a state row and calls the provider.
  @Get('oidc/:slug/start')
  @Public()
  @UseGuards(ThrottlerGuard)
  async start(
    @Param('slug') slug: string,
    @Query() query: OidcStartQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { url, browserToken } = await this.signIn.startOrFail(slugParam(slug), query.returnTo);
    if (browserToken) {
      reply.setCookie(stateCookieName(this.cookies), browserToken, cookieOptions(this.cookies, OIDC_STATE_SECONDS));
    }
    await reply.header('cache-control', 'no-store').redirect(url, 302);
  }

  @Get('oidc/:slug/callback')
  @Public()
  @UseGuards(ThrottlerGuard)
  async callback(
    @Param('slug') slug: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = Object.fromEntries(
      Object.entries((request.query ?? {}) as Record<string, unknown>)
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length <= 4096)
        .slice(0, 20),
    );
    const outcome = await this.signIn.callback(
      slugParam(slug),
      query,
      request.cookies?.[stateCookieName(this.cookies)],
      clientMeta(request),
    );
    reply.clearCookie(stateCookieName(this.cookies), { path: '/', secure: this.cookies.secure });
    if (outcome.kind === 'session') {
      reply.setCookie(
        this.cookies.session,
        outcome.sessionToken,
        cookieOptions(this.cookies, this.signIn.sessionSeconds),
      );
    } else if (outcome.kind === 'mfa') {
      reply.setCookie(this.cookies.mfaPending, outcome.pendingToken, cookieOptions(this.cookies, MFA_PENDING_SECONDS));
    }
    await reply.header('cache-control', 'no-store').redirect(outcome.location, 302);
  }
}

@Controller('api/me/identities')
export class MyIdentitiesController {
  private readonly cookies: CookieNames;

  constructor(
    private readonly mine: MyIdentitiesService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.cookies = cookieNames(settings);
  }

  @Get()
  @RequirePermission('profile:write')
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: LinkedIdentityDto[] }> {
    return { items: await this.mine.list(principal) };
  }

  @Post(':slug/link')
  @HttpCode(200)
  @RequirePermission('profile:write')
  async link(
    @CurrentPrincipal() principal: Principal,
    @Param('slug') slug: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StartLinkResponse> {
    const { url, browserToken } = await this.mine.startLink(principal, slugParam(slug));
    reply.setCookie(stateCookieName(this.cookies), browserToken, cookieOptions(this.cookies, OIDC_STATE_SECONDS));
    return { url };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('profile:write')
  unlink(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.mine.unlink(principal, id);
  }
}
