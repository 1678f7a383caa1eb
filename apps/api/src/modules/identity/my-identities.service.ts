// A signed-in user's own identities: list, start linking one (the provider's flow, bound to their
// browser and their user id), and unlink (never the last way in of someone without a password).
// Ownership is in every query: another user's identity is not found.
import { Injectable } from '@nestjs/common';
import type { LinkedIdentityDto, LoginOptionsResponse } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { Principal } from '../../common/principal';
import { AuditService } from '../audit/audit.service';
import { LocalLoginPolicy } from '../auth/local-login-policy';
import { IdentitiesRepository } from './identities.repository';
import { IdentityProvidersRepository } from './identity-providers.repository';
import { toLinkedIdentityDto } from './identity.mapper';
import { OidcSignInService } from './oidc-sign-in.service';

@Injectable()
export class MyIdentitiesService {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly providers: IdentityProvidersRepository,
    private readonly signIn: OidcSignInService,
    private readonly policy: LocalLoginPolicy,
    private readonly audit: AuditService,
  ) {}

  async loginOptions(): Promise<LoginOptionsResponse> {
    const providers = (await this.providers.list()).filter((provider) => provider.enabled);
    return {
      providers: providers.map((provider) => ({ slug: provider.slug, name: provider.name })),
      localLogin: (await this.policy.read()).localLogin,
    };
  }

  async list(principal: Principal): Promise<LinkedIdentityDto[]> {
    return (await this.identities.listForUser(principal.userId)).map(toLinkedIdentityDto);
  }

  async startLink(principal: Principal, slug: string): Promise<{ url: string; browserToken: string }> {
    if (principal.kind !== 'session') {
      throw ApiError.forbidden('Identities are linked from a dashboard session, not with an API key.');
    }
    const provider = await this.providers.findEnabledBySlug(slug);
    if (!provider) throw ApiError.notFound('Identity provider');
    try {
      return await this.signIn.start(slug, { linkUserId: principal.userId, returnTo: '/settings' });
    } catch (error) {
      throw ApiError.badRequest(
        `The identity provider could not be reached: ${(error as Error).message}`.slice(0, 300),
        'identity_provider_unavailable',
      );
    }
  }

  async unlink(principal: Principal, id: string): Promise<void> {
    await this.identities.transaction(async (manager) => {
      const methods = await this.identities.signInMethods(principal.userId, manager);
      const removed = await this.identities.unlink(principal.userId, id, manager);
      if (!removed) throw ApiError.notFound('Identity');
      if (!methods.hasPassword && methods.identities <= 1) {
        throw ApiError.conflict(
          'conflict',
          'This identity is your only way to sign in: link another one, or ask an administrator to set a password, first.',
        );
      }
      await this.audit.record(manager, {
        action: 'identity.unlink',
        target: { type: 'user', id: principal.userId, label: principal.username },
        reason: 'unlinked an identity',
      });
    });
  }
}
