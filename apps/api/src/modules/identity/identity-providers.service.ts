// Identity provider administration: CRUD with its mappings, invitations and the "test connection"
// action. Rules: the issuer is an https URL (http on loopback only); the default role is never
// admin-level (people created at first sign-in get the least privilege); a mapping names a known
// role and/or group, grants an admin-level role only with allowAdmin, and an admin never maps a
// role holding permissions they do not hold. The client secret is sealed by the token vault and
// never leaves this service: responses say only whether one is stored, audit rows not even that.
import { Inject, Injectable } from '@nestjs/common';
import type { IdentityInvitationDto, IdentityProviderDto, IdentityProviderTestResult } from '@codex-lb/shared';
import type { EntityManager } from 'typeorm';
import { ApiError } from '../../common/api-error';
import { TokenVault } from '../../common/crypto/token-vault';
import type { Principal } from '../../common/principal';
import { SETTINGS, type Settings } from '../../config/settings';
import { AuditService } from '../audit/audit.service';
import { isAdminLevel } from '../auth/local-login-policy';
import { RolePolicy } from '../roles/role-policy';
import type {
  CreateIdentityInvitationDto,
  CreateIdentityProviderDto,
  IdentityMappingDto,
  UpdateIdentityProviderDto,
} from './dto/identity.dto';
import {
  IdentityProvidersRepository,
  type MappingRow,
  type ProviderFields,
  type ProviderRow,
} from './identity-providers.repository';
import { toInvitationDto, toProviderDto } from './identity.mapper';
import { isLoopbackHttp, OidcClient } from './oidc-client';
import { providerConfig } from './oidc-sign-in.service';
import { redirectUriFor } from './redirects';

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const INVITATION_SECONDS = 14 * 24 * 3600;

@Injectable()
export class IdentityProvidersService {
  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly client: OidcClient,
    private readonly policy: RolePolicy,
    private readonly audit: AuditService,
    private readonly vault: TokenVault,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  private async dto(row: ProviderRow, manager?: EntityManager): Promise<IdentityProviderDto> {
    return toProviderDto(row, await this.providers.mappings(row.id, manager), redirectUriFor(this.settings, row.slug));
  }

  private async require(id: string, manager?: EntityManager): Promise<ProviderRow> {
    const row = await this.providers.find(id, manager);
    if (!row) throw ApiError.notFound('Identity provider');
    return row;
  }

  async list(): Promise<IdentityProviderDto[]> {
    return Promise.all((await this.providers.list()).map((row) => this.dto(row)));
  }

  async get(id: string): Promise<IdentityProviderDto> {
    return this.dto(await this.require(id));
  }

  async create(actor: Principal, dto: CreateIdentityProviderDto): Promise<IdentityProviderDto> {
    const fields: ProviderFields = {
      slug: dto.slug,
      name: dto.name,
      issuer: this.issuer(dto.issuer),
      clientId: dto.clientId,
      clientSecret: dto.clientSecret ? this.vault.encrypt(dto.clientSecret) : null,
      scopes: this.scopes(dto.scopes),
      allowedDomains: this.domains(dto.allowedDomains),
      createUsers: dto.createUsers ?? false,
      defaultRole: dto.defaultRole ?? 'user',
      enabled: dto.enabled ?? true,
      acceptAmrAsMfa: dto.acceptAmrAsMfa ?? false,
      scimExternalIdClaim: dto.scimExternalIdClaim ?? null,
    };
    return this.providers.transaction(async (manager) => {
      await this.checkDefaultRole(fields.defaultRole, manager);
      const mappings = await this.mappings(actor, dto.mappings ?? [], manager);
      const id = await this.providers.create(fields, manager);
      if (!id) throw ApiError.conflict('identity_provider_slug_taken', `The slug "${dto.slug}" is taken.`);
      await this.providers.replaceMappings(id, mappings, manager);
      await this.audit.record(manager, {
        action: 'identity_provider.create',
        target: { type: 'identity_provider', id, label: fields.slug },
        changes: { after: this.auditable(fields, mappings.length) },
      });
      return this.dto((await this.providers.find(id, manager))!, manager);
    });
  }

  async update(actor: Principal, id: string, dto: UpdateIdentityProviderDto): Promise<IdentityProviderDto> {
    const patch: Partial<ProviderFields> = {
      slug: dto.slug,
      name: dto.name,
      issuer: dto.issuer === undefined ? undefined : this.issuer(dto.issuer),
      clientId: dto.clientId,
      scopes: dto.scopes === undefined ? undefined : this.scopes(dto.scopes),
      allowedDomains: dto.allowedDomains === undefined ? undefined : this.domains(dto.allowedDomains),
      createUsers: dto.createUsers,
      defaultRole: dto.defaultRole,
      enabled: dto.enabled,
      acceptAmrAsMfa: dto.acceptAmrAsMfa,
      scimExternalIdClaim: dto.scimExternalIdClaim,
    };
    if (dto.clientSecret !== undefined) {
      patch.clientSecret = dto.clientSecret === null ? null : this.vault.encrypt(dto.clientSecret);
    }
    const updated = await this.providers.transaction(async (manager) => {
      const before = await this.require(id, manager);
      if (patch.defaultRole !== undefined) await this.checkDefaultRole(patch.defaultRole, manager);
      const mappings = dto.mappings === undefined ? null : await this.mappings(actor, dto.mappings, manager);
      if (!(await this.providers.update(id, patch, manager))) {
        throw ApiError.conflict('identity_provider_slug_taken', `The slug "${dto.slug}" is taken.`);
      }
      if (mappings) await this.providers.replaceMappings(id, mappings, manager);
      await this.audit.record(manager, {
        action: 'identity_provider.update',
        target: { type: 'identity_provider', id, label: patch.slug ?? before.slug },
        changes: {
          before: this.auditable(before),
          after: {
            ...this.auditable({ ...before, ...definedOnly(patch) }, mappings?.length),
            clientSecretChanged: dto.clientSecret !== undefined,
          },
        },
      });
      return this.dto((await this.providers.find(id, manager))!, manager);
    });
    this.client.forget(id);
    return updated;
  }

  async delete(id: string): Promise<void> {
    await this.providers.transaction(async (manager) => {
      const before = await this.require(id, manager);
      await this.providers.delete(id, manager);
      await this.audit.record(manager, {
        action: 'identity_provider.delete',
        target: { type: 'identity_provider', id, label: before.slug },
        changes: { before: this.auditable(before) },
      });
    });
    this.client.forget(id);
  }

  async test(id: string): Promise<IdentityProviderTestResult> {
    const row = await this.require(id);
    const result = await this.client.test(providerConfig(row, this.vault), redirectUriFor(this.settings, row.slug));
    const ok = result.discovery.ok && result.credentials.ok;
    await this.providers.transaction((manager) =>
      this.audit.record(manager, {
        action: 'identity_provider.test',
        target: { type: 'identity_provider', id, label: row.slug },
        outcome: ok ? 'success' : 'failed',
        reason: ok ? undefined : `${result.discovery.message} ${result.credentials.message}`.trim(),
      }),
    );
    return { ok, ...result };
  }

  async invitations(id: string): Promise<IdentityInvitationDto[]> {
    await this.require(id);
    return (await this.providers.invitations(id)).map(toInvitationDto);
  }

  async invite(actor: Principal, id: string, dto: CreateIdentityInvitationDto): Promise<IdentityInvitationDto> {
    const email = dto.email.toLowerCase();
    return this.providers.transaction(async (manager) => {
      const provider = await this.require(id, manager);
      if (dto.role) {
        const role = await this.policy.roleForSlug(dto.role, manager);
        this.policy.assertCanGrant(actor, role.permissions);
      }
      const created = await this.providers.invite(
        { providerId: id, email, role: dto.role ?? null, createdBy: actor.userId, ttlSeconds: INVITATION_SECONDS },
        manager,
      );
      if (!created) throw ApiError.conflict('conflict', `${email} already has an open invitation at this provider.`);
      await this.audit.record(manager, {
        action: 'identity_provider.invite',
        target: { type: 'identity_provider', id, label: provider.slug },
        changes: { after: { email, role: dto.role ?? null } },
      });
      return toInvitationDto(created);
    });
  }

  async uninvite(id: string, invitationId: string): Promise<void> {
    await this.providers.transaction(async (manager) => {
      const provider = await this.require(id, manager);
      const removed = await this.providers.deleteInvitation(id, invitationId, manager);
      if (!removed) throw ApiError.notFound('Invitation');
      await this.audit.record(manager, {
        action: 'identity_provider.uninvite',
        target: { type: 'identity_provider', id, label: provider.slug },
        changes: { before: { email: removed.email } },
      });
    });
  }

  // ---- rules ----

  private issuer(value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw ApiError.badRequest('issuer must be a URL such as https://login.example.com.', 'validation_failed');
    }
    if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
      throw ApiError.badRequest('issuer must be an https:// URL (http only on this machine).', 'validation_failed');
    }
    if (url.search || url.hash || url.username || url.password) {
      throw ApiError.badRequest('issuer must have no query, fragment or credentials.', 'validation_failed');
    }
    return value.replace(/\/+$/, '') === url.origin ? url.origin : value;
  }

  private scopes(scopes: string[] | undefined): string[] {
    const list = [...new Set(scopes ?? DEFAULT_SCOPES)];
    if (!list.includes('openid')) list.unshift('openid');
    return list;
  }

  private domains(domains: string[] | undefined): string[] {
    return [...new Set((domains ?? []).map((domain) => domain.toLowerCase()))];
  }

  private async checkDefaultRole(slug: string, manager: EntityManager): Promise<void> {
    const role = await this.policy.roleForSlug(slug, manager);
    if (isAdminLevel(role.permissions)) {
      throw ApiError.badRequest(
        `defaultRole "${slug}" is admin-level (users:manage or roles:manage): people created at first sign-in get the least privilege. Grant it with a mapping marked allowAdmin.`,
        'validation_failed',
      );
    }
  }

  private async mappings(actor: Principal, input: IdentityMappingDto[], manager: EntityManager): Promise<MappingRow[]> {
    const groups = await this.providers.existingGroups(
      input.flatMap((mapping) => (mapping.groupId ? [mapping.groupId] : [])),
      manager,
    );
    const rows: MappingRow[] = [];
    for (const [index, mapping] of input.entries()) {
      const where = `mappings[${index}]`;
      if (!mapping.role && !mapping.groupId) {
        throw ApiError.badRequest(`${where} must name a role, a groupId, or both.`, 'validation_failed');
      }
      if ((mapping.groupId === undefined) !== (mapping.groupRole === undefined)) {
        throw ApiError.badRequest(`${where}: groupId and groupRole go together.`, 'validation_failed');
      }
      if (mapping.groupId && !groups.has(mapping.groupId)) {
        throw ApiError.badRequest(`${where}.groupId names no group.`, 'invalid_group_ids');
      }
      if (mapping.role) {
        const role = await this.policy.roleForSlug(mapping.role, manager);
        this.policy.assertCanGrant(actor, role.permissions, 'map');
        if (isAdminLevel(role.permissions) && !mapping.allowAdmin) {
          throw ApiError.badRequest(
            `${where} grants the admin-level role "${mapping.role}": mark it allowAdmin to mean it.`,
            'validation_failed',
          );
        }
      }
      rows.push({
        claim: mapping.claim,
        value: mapping.value,
        role: mapping.role ?? null,
        groupId: mapping.groupId ?? null,
        groupRole: mapping.groupRole ?? null,
        allowAdmin: mapping.allowAdmin ?? false,
      });
    }
    return rows;
  }

  /** What the audit log keeps of a provider: never the secret, not even its envelope. */
  private auditable(row: ProviderFields, mappings?: number): Record<string, unknown> {
    return {
      slug: row.slug,
      name: row.name,
      issuer: row.issuer,
      clientId: row.clientId,
      scopes: row.scopes,
      allowedDomains: row.allowedDomains,
      createUsers: row.createUsers,
      defaultRole: row.defaultRole,
      enabled: row.enabled,
      acceptAmrAsMfa: row.acceptAmrAsMfa,
      scimExternalIdClaim: row.scimExternalIdClaim,
      ...(mappings === undefined ? {} : { mappings }),
    };
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
