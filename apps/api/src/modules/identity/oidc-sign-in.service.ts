// Sign-in and linking with an identity provider. The start stores a single-use state (its SHA-256,
// the PKCE verifier sealed by the token vault, the nonce, where to go afterwards) bound to the
// browser by the SHA-256 of a random cookie, for ten minutes. The callback takes the state out
// (DELETE ... RETURNING: a replay finds nothing), checks the browser, lets OidcClient validate the
// answer, then:
// - a known identity (issuer, subject) signs in as its user;
// - an unknown one, at a provider naming a directory link claim, whose claim equals the SCIM
//   externalId of one user the directory created, is linked to that user (refused if deactivated);
// - else it consumes an invitation for its verified e-mail at this provider, or is created
//   (when the provider allows it: verified e-mail in the allowed domains, the default role), or is
//   refused. An e-mail equal to an existing user's never links to or signs in as that user;
// - the mappings are applied (role, group memberships), then a session opens, capped like every
//   session, unless the user has a second factor the provider's `amr` does not stand in for.
// Every refusal is a redirect to the login page with a code and a plain message, and an audit row.
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { sameSecret } from '../../common/crypto/same-secret';
import { TokenVault } from '../../common/crypto/token-vault';
import { DomainEvents } from '../../common/events';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import { AuditService } from '../audit/audit.service';
import { isAdminLevel } from '../auth/local-login-policy';
import { MfaService } from '../auth/mfa.service';
import { SessionsService } from '../auth/sessions.service';
import { GroupIndex } from '../groups/group-index';
import { GroupsRepository } from '../groups/groups.repository';
import { RolePolicy } from '../roles/role-policy';
import { UsersRepository } from '../users/users.repository';
import type { UserEntity } from '../users/user.entity';
import { evaluateMappings } from './claim-mappings';
import { IdentitiesRepository } from './identities.repository';
import { IdentityProvidersRepository, type ProviderRow } from './identity-providers.repository';
import { OidcClient, OidcError, type IdTokenClaims, type OidcProviderConfig } from './oidc-client';
import { redirectUriFor, safeReturnTo } from './redirects';

export const OIDC_STATE_SECONDS = 600;
/** `amr` values that stand for a second factor at the provider. */
const MFA_AMR = new Set(['mfa', 'otp', 'hwk']);

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** What the controller sends the browser: a redirect, and the cookies to set. */
export type CallbackOutcome =
  | { kind: 'session'; location: string; sessionToken: string }
  | { kind: 'mfa'; location: string; pendingToken: string }
  | { kind: 'linked'; location: string }
  | { kind: 'failed'; location: string };

/** A refusal with a stable code and a message the login page shows. */
class SignInRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

function selfActor(user: Pick<UserEntity, 'id' | 'username' | 'role'>): Principal {
  return {
    kind: 'session',
    userId: user.id,
    username: user.username,
    role: user.role,
    permissions: new Set(),
    mustChangePassword: false,
  };
}

/** A username from the token's preferred_username or e-mail, within USERNAME_PATTERN. */
export function usernameFrom(claims: IdTokenClaims): string {
  const source =
    (typeof claims.preferred_username === 'string' && claims.preferred_username) ||
    (typeof claims.email === 'string' && claims.email.split('@')[0]) ||
    'user';
  let name = source
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 56);
  if (name.length < 2) name = `user-${name}`.replace(/-$/, '') || 'user';
  return name.length < 2 ? 'user' : name;
}

export function providerConfig(provider: ProviderRow, vault: TokenVault): OidcProviderConfig {
  return {
    id: provider.id,
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret ? vault.decrypt(provider.clientSecret) : null,
    version: new Date(provider.updatedAt).toISOString(),
  };
}

@Injectable()
export class OidcSignInService {
  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly identities: IdentitiesRepository,
    private readonly client: OidcClient,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly groupIndex: GroupIndex,
    private readonly rolePolicy: RolePolicy,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly vault: TokenVault,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** A session cookie lives as long as the session's absolute cap, like a password sign-in's. */
  get sessionSeconds(): number {
    return this.settings.sessionAbsoluteTimeoutSeconds;
  }

  /** The provider's authorization URL and the browser-binding cookie's value. */
  async start(
    slug: string,
    options: { returnTo?: string; linkUserId?: string },
  ): Promise<{ url: string; browserToken: string }> {
    const provider = await this.providers.findEnabledBySlug(slug);
    if (!provider) throw new SignInRefused('not_found', `There is no enabled identity provider "${slug}".`);
    const { state, nonce, codeVerifier } = await this.client.randomValues();
    const browserToken = randomBytes(32).toString('base64url');
    const url = await this.client.authorizationUrl(providerConfig(provider, this.vault), {
      redirectUri: redirectUriFor(this.settings, provider.slug),
      scopes: provider.scopes,
      state,
      nonce,
      codeVerifier,
    });
    await this.identities.saveState({
      stateHash: digest(state),
      browserHash: digest(browserToken),
      providerId: provider.id,
      codeVerifier: this.vault.encrypt(codeVerifier),
      nonce,
      returnTo: safeReturnTo(options.returnTo, options.linkUserId ? '/settings' : '/'),
      linkUserId: options.linkUserId ?? null,
      ttlSeconds: OIDC_STATE_SECONDS,
    });
    return { url, browserToken };
  }

  /** The start for the login page: failures become a redirect to it with a message. */
  async startOrFail(slug: string, returnTo?: string): Promise<{ url: string; browserToken: string | null }> {
    try {
      return await this.start(slug, { returnTo });
    } catch (error) {
      return { url: this.failure(error, slug), browserToken: null };
    }
  }

  async callback(
    slug: string,
    query: Record<string, string>,
    browserToken: string | undefined,
    client: ClientInfo,
  ): Promise<CallbackOutcome> {
    try {
      return await this.complete(slug, query, browserToken, client);
    } catch (error) {
      return { kind: 'failed', location: this.failure(error, slug) };
    }
  }

  private failure(error: unknown, slug: string): string {
    if (!(error instanceof SignInRefused) && !(error instanceof OidcError)) throw error;
    const refusal =
      error instanceof SignInRefused
        ? error
        : error instanceof OidcError
          ? new SignInRefused('oidc_failed', error.message)
          : new SignInRefused('oidc_failed', 'The sign-in with the identity provider could not be completed.');
    this.audit.recordSoon({
      action: 'auth.login_failed',
      actor: null,
      target: { type: 'identity_provider', label: slug },
      outcome: 'failed',
      reason: `${refusal.code}: ${refusal.message}`,
    });
    const params = new URLSearchParams({ error: refusal.code, message: refusal.message });
    return `${this.settings.dashboardUrl}/login?${params}`;
  }

  private async complete(
    slug: string,
    query: Record<string, string>,
    browserToken: string | undefined,
    client: ClientInfo,
  ): Promise<CallbackOutcome> {
    const state = query.state;
    if (typeof state !== 'string' || state.length === 0 || state.length > 512) {
      throw new SignInRefused('oidc_failed', 'The provider sent no state: start the sign-in again.');
    }
    const row = await this.identities.consumeState(digest(state));
    if (!row) {
      throw new SignInRefused('oidc_failed', 'This sign-in was already completed or is unknown: start it again.');
    }
    if (!row.fresh) throw new SignInRefused('oidc_failed', 'This sign-in took too long and expired: start it again.');
    if (!browserToken || !sameSecret(digest(browserToken), row.browserHash)) {
      throw new SignInRefused('oidc_failed', 'This sign-in was started in another browser: start it again here.');
    }
    const provider = await this.providers.find(row.providerId);
    if (!provider || !provider.enabled || provider.slug !== slug) {
      throw new SignInRefused('oidc_failed', 'This identity provider is no longer available.');
    }
    if (typeof query.error === 'string') {
      const description = typeof query.error_description === 'string' ? `: ${query.error_description}` : '';
      throw new SignInRefused(
        'oidc_failed',
        `The provider refused the sign-in (${query.error}${description})`.slice(0, 300),
      );
    }
    const redirectUri = redirectUriFor(this.settings, provider.slug);
    const currentUrl = new URL(redirectUri);
    for (const [name, value] of Object.entries(query)) currentUrl.searchParams.set(name, value);
    const claims = await this.client.exchange(providerConfig(provider, this.vault), {
      currentUrl,
      redirectUri,
      codeVerifier: this.vault.decrypt(row.codeVerifier),
      state,
      nonce: row.nonce,
    });
    if (row.linkUserId) return this.link(provider, claims, row.linkUserId, row.returnTo);
    return this.signIn(provider, claims, row.returnTo, client);
  }

  private verifiedEmail(claims: IdTokenClaims): string | null {
    if (typeof claims.email !== 'string' || claims.email_verified !== true) return null;
    const email = claims.email.trim().toLowerCase();
    return email.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null;
  }

  private emailOf(claims: IdTokenClaims): string | null {
    return typeof claims.email === 'string' ? claims.email.trim().toLowerCase().slice(0, 320) : null;
  }

  private async link(provider: ProviderRow, claims: IdTokenClaims, userId: string, returnTo: string) {
    const user = await this.users.findById(userId);
    if (!user || !user.isActive || user.kind !== 'human') {
      throw new SignInRefused('oidc_failed', 'The account this link was started for is no longer active.');
    }
    await this.identities.transaction(async (manager) => {
      const existing = await this.identities.findIdentity(claims.iss, claims.sub, manager);
      if (existing && existing.userId !== user.id) {
        throw new SignInRefused('identity_already_linked', 'This identity is already linked to another account.');
      }
      if (existing) return;
      const id = await this.identities.link(
        {
          userId: user.id,
          providerId: provider.id,
          issuer: claims.iss,
          subject: claims.sub,
          email: this.emailOf(claims),
        },
        manager,
      );
      if (!id) {
        throw new SignInRefused(
          'identity_already_linked',
          `Your account already has an identity at ${provider.name}: unlink it first.`,
        );
      }
      await this.audit.record(manager, {
        action: 'identity.link',
        actor: selfActor(user),
        target: { type: 'user', id: user.id, label: user.username },
        reason: `linked an identity at ${provider.slug}`,
      });
    });
    const separator = returnTo.includes('?') ? '&' : '?';
    return {
      kind: 'linked' as const,
      location: `${this.settings.dashboardUrl}${returnTo}${separator}linked=${provider.slug}`,
    };
  }

  private async signIn(
    provider: ProviderRow,
    claims: IdTokenClaims,
    returnTo: string,
    client: ClientInfo,
  ): Promise<CallbackOutcome> {
    const mappings = await this.providers.mappings(provider.id);
    const adminRoles = new Map<string, boolean>();
    for (const role of new Set([...mappings.map((mapping) => mapping.role), provider.defaultRole])) {
      if (role) adminRoles.set(role, isAdminLevel(await this.identities.permissionsOfRole(role)));
    }
    const outcome = evaluateMappings(claims, mappings, provider.defaultRole, (role) => adminRoles.get(role) ?? true);
    const touchedGroups: string[] = [];
    const changedUsers: string[] = [];
    const { userId, sessionToken } = await this.identities.transaction(async (manager) => {
      const user = await this.resolveUser(provider, claims, outcome.role, manager);
      if (outcome.role && outcome.role !== user.role && (await this.changeRole(user, outcome.role, manager))) {
        changedUsers.push(user.id);
        await this.audit.record(manager, {
          action: 'user.update',
          actor: selfActor(user),
          target: { type: 'user', id: user.id, label: user.username },
          reason: `role from ${provider.slug} mappings`,
          changes: { before: { role: user.role }, after: { role: outcome.role } },
        });
      }
      await this.applyGroups(user, outcome.groups, provider.slug, manager, touchedGroups);
      const amr = Array.isArray(claims.amr) ? claims.amr.map(String) : [];
      const amrCounts = provider.acceptAmrAsMfa && amr.some((value) => MFA_AMR.has(value));
      if (!amrCounts && (await this.mfa.isEnrolled(user.id))) return { userId: user.id, sessionToken: null };
      // A second factor at a trusted provider also satisfies CODEX_LB_MFA_REQUIRED for this session.
      const token = await this.sessions.create(user.id, client, manager, { mfaAtProvider: amrCounts });
      await this.audit.record(manager, {
        action: 'auth.login',
        actor: selfActor(user),
        target: { type: 'user', id: user.id, label: user.username },
        reason: `oidc:${provider.slug}${amrCounts ? ' (second factor at the provider)' : ''}`,
      });
      return { userId: user.id, sessionToken: token };
    });
    for (const groupId of touchedGroups) await this.groupIndex.reload(groupId);
    for (const changed of changedUsers) this.events.emit('user.changed', { userId: changed });
    if (!sessionToken) {
      return {
        kind: 'mfa',
        location: `${this.settings.dashboardUrl}/login?mfa=1`,
        pendingToken: await this.mfa.startPendingLogin(userId),
      };
    }
    await this.users.recordLogin(userId);
    return { kind: 'session', location: `${this.settings.dashboardUrl}${returnTo}`, sessionToken };
  }

  /**
   * The mapped role, unless it would take users:manage or roles:manage from their last active
   * holder (the rule every role change obeys): then the role stays and the sign-in goes on.
   */
  private async changeRole(user: UserEntity, role: string, manager: EntityManager): Promise<boolean> {
    const before = await this.rolePolicy.before(manager);
    await manager.query('SAVEPOINT oidc_role_change');
    await this.identities.setRole(user.id, role, manager);
    try {
      await this.rolePolicy.after(manager, before);
      await manager.query('RELEASE SAVEPOINT oidc_role_change');
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT oidc_role_change');
      return false;
    }
  }

  /** The user this identity signs in as: linked, invited or created; anything else is refused. */
  private async resolveUser(
    provider: ProviderRow,
    claims: IdTokenClaims,
    mappedRole: string | null,
    manager: EntityManager,
  ): Promise<UserEntity> {
    const known = await this.identities.findIdentity(claims.iss, claims.sub, manager);
    if (known) {
      if (known.providerId !== provider.id) {
        throw new SignInRefused('identity_not_allowed', 'This identity is linked through another provider.');
      }
      const user = await this.users.findById(known.userId, manager);
      if (!user || !user.isActive || user.kind !== 'human') {
        throw new SignInRefused('identity_not_allowed', 'This account is deactivated. Ask an administrator.');
      }
      await this.identities.touch(known.id, this.emailOf(claims), manager);
      return user;
    }
    const directoryUser = await this.linkDirectoryUser(provider, claims, manager);
    if (directoryUser) return directoryUser;
    const email = this.verifiedEmail(claims);
    if (!email) {
      throw new SignInRefused(
        'identity_not_allowed',
        'This identity is not linked to an account, and the provider did not send a verified e-mail address.',
      );
    }
    const domain = email.split('@')[1];
    if (provider.allowedDomains.length > 0 && !provider.allowedDomains.includes(domain)) {
      throw new SignInRefused('identity_not_allowed', `E-mail addresses at ${domain} may not sign in here.`);
    }
    const invitation = await this.providers.consumeInvitation(provider.id, email, manager);
    if (!invitation && !provider.createUsers) {
      throw new SignInRefused(
        'identity_not_allowed',
        'This identity is not linked to an account and has no invitation. Ask an administrator to invite you.',
      );
    }
    const role = mappedRole ?? invitation?.role ?? provider.defaultRole;
    const base = usernameFrom(claims);
    let userId: string | null = null;
    for (let attempt = 1; attempt <= 20 && !userId; attempt += 1) {
      const username = attempt === 1 ? base : `${base.slice(0, 56)}-${attempt}`;
      userId = await this.identities.createUser(username, role, manager);
    }
    if (!userId) throw new SignInRefused('identity_not_allowed', 'No free username could be made for this identity.');
    if (invitation) await this.providers.markInvitationConsumer(invitation.id, userId, manager);
    await this.identities.link(
      { userId, providerId: provider.id, issuer: claims.iss, subject: claims.sub, email },
      manager,
    );
    const user = (await this.users.findById(userId, manager))!;
    await this.audit.record(manager, {
      action: 'user.create',
      actor: selfActor(user),
      target: { type: 'user', id: user.id, label: user.username },
      reason: invitation ? `invited at ${provider.slug}` : `first sign-in at ${provider.slug}`,
      changes: { after: { role, provider: provider.slug } },
    });
    return user;
  }

  /**
   * The first sign-in of someone the directory created: the provider's directory link claim, read
   * from the validated ID token, equal to the externalId of one user SCIM created. Null (the other
   * rules apply) when the provider names no claim, the token lacks it, or no such user exists.
   */
  private async linkDirectoryUser(
    provider: ProviderRow,
    claims: IdTokenClaims,
    manager: EntityManager,
  ): Promise<UserEntity | null> {
    if (!provider.scimExternalIdClaim) return null;
    const externalId = claims[provider.scimExternalIdClaim];
    if (typeof externalId !== 'string' || externalId.length === 0 || externalId.length > 255) return null;
    const match = await this.identities.findDirectoryUser(externalId, manager);
    if (!match) return null;
    const user = await this.users.findById(match.userId, manager);
    if (!match.isActive || !user || !user.isActive || user.kind !== 'human') {
      throw new SignInRefused('identity_not_allowed', 'This account is deactivated. Ask an administrator.');
    }
    const linked = await this.identities.link(
      {
        userId: user.id,
        providerId: provider.id,
        issuer: claims.iss,
        subject: claims.sub,
        email: this.emailOf(claims),
      },
      manager,
    );
    if (!linked) {
      throw new SignInRefused(
        'identity_already_linked',
        `The account your directory created already has another identity at ${provider.name}. Ask an administrator.`,
      );
    }
    await this.audit.record(manager, {
      action: 'identity.link',
      actor: selfActor(user),
      target: { type: 'user', id: user.id, label: user.username },
      reason: 'scim externalId',
      changes: { after: { provider: provider.slug, claim: provider.scimExternalIdClaim } },
    });
    return user;
  }

  private async applyGroups(
    user: UserEntity,
    wanted: Map<string, string | null>,
    slug: string,
    manager: EntityManager,
    touched: string[],
  ): Promise<void> {
    const held = await this.identities.memberships(user.id, [...wanted.keys()], manager);
    for (const [groupId, role] of wanted) {
      const current = held.get(groupId) ?? null;
      if (current === role) continue;
      if (role === null) {
        await this.groups.removeMember(groupId, user.id, manager);
      } else {
        await this.groups.putMember(groupId, user.id, role as 'owner' | 'member' | 'viewer', manager);
      }
      touched.push(groupId);
      await this.audit.record(manager, {
        action: role === null ? 'group.member_remove' : current === null ? 'group.member_add' : 'group.member_update',
        actor: selfActor(user),
        target: { type: 'group', id: groupId },
        reason: `group from ${slug} mappings`,
        changes: { before: { role: current }, after: { role } },
      });
    }
  }
}
