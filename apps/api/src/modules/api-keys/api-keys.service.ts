// The rules for API keys: who owns a new key, which accounts and limits it may carry, and that
// every change reaches the authentication cache before the response is sent, so a revoked or
// rotated key is refused on the very next request. Secrets exist only in the create and
// regenerate responses. A user also reads the keys of their groups (any group role), read-only:
// changing one they only read is a 403, one they cannot read a 404; what such a key shows of
// accounts and groups is limited to those the reader sees through their groups.
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  API_KEY_DEFAULT_SCOPES,
  API_KEY_FORBIDDEN_SCOPES,
  type ApiKeyDto,
  type AuditAction,
  type ApiKeySecretResponse,
  type ApiKeyUsageResponse,
  type EffectiveAccountsResponse,
} from '@codex-lb/shared';
import { AccountPool } from '../proxy/routing/account-pool';
import type { PoolKey } from '../proxy/routing/effective-pool';
import { ApiError } from '../../common/api-error';
import { ownerForCreate, ownerScopeFor, type OwnerScope } from '../../common/owner-scope';
import type { Principal } from '../../common/principal';
import { GroupIndex } from '../groups/group-index';
import { groupScopeFor } from '../groups/group-scope';
import { AuditService, changedFields } from '../audit/audit.service';
import type { AuditTarget } from '../audit/audit.types';
import { ApiKeyAuthService } from './api-key-auth.service';
import type { KeyLimit } from './api-key.types';
import { toApiKeyDto } from './api-keys.mapper';
import { ApiKeysRepository, type ApiKeyPatch, type ApiKeyRow } from './api-keys.repository';
import type { ApiKeyLimitDtoIn, CreateApiKeyDto, ListApiKeysQueryDto, UpdateApiKeyDto } from './dto/api-key.dto';
import { generateSecret } from './key-secret';
import { ApiKeyLimiter } from './limits/api-key-limiter';
import { normalizeModel } from '../usage/pricing';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly auth: ApiKeyAuthService,
    private readonly limiter: ApiKeyLimiter,
    private readonly modules: ModuleRef,
    private readonly groups: GroupIndex,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal, query: ListApiKeysQueryDto): Promise<ApiKeyDto[]> {
    const scope = this.readScope(principal, query.ownerId);
    const rows = (await this.keys.list(scope)).map((row) => this.asSeenBy(scope, row));
    const usage = await this.limiter.usageOfMany(rows);
    return rows.map((row) => toApiKeyDto(row, usage.get(row.id) ?? []));
  }

  async get(principal: Principal, id: string): Promise<ApiKeyDto> {
    const scope = this.readScope(principal);
    return this.toDto(this.asSeenBy(scope, await this.requireReadable(scope, id)));
  }

  /** `audited` names the event when the key is made for something else (a service account's key). */
  async create(
    principal: Principal,
    dto: CreateApiKeyDto,
    audited: { action: AuditAction; target: AuditTarget } | null = null,
  ): Promise<ApiKeySecretResponse> {
    if (dto.ownerId && dto.ownerId !== principal.userId && !principal.permissions.has('owners:all')) {
      throw ApiError.forbidden('Only an admin can create a key for another user.');
    }
    const ownerUserId = ownerForCreate(principal, dto.ownerId);
    if (ownerUserId !== principal.userId && !(await this.keys.userExists(ownerUserId))) {
      throw new ApiError(400, 'invalid_owner', 'ownerId does not name an existing user.');
    }
    const expiresAt = parseExpiry(dto.expiresAt, true);
    const limits = checkLimits(dto.limits);
    const allowedModels = normalizeModels(dto.allowedModels);
    const secret = generateSecret();
    const id = await this.keys.transaction(async (manager) => {
      const accountIds = dto.accountIds?.length ? await this.checkAccounts(ownerUserId, dto.accountIds, manager) : null;
      const groupIds = await this.checkGroups(ownerUserId, dto.groupIds ?? [], manager);
      const scopes = checkScopes(dto.scopes);
      const keyId = await this.keys.create(
        {
          ownerUserId,
          name: dto.name,
          prefix: secret.prefix,
          keyDigest: secret.digest,
          expiresAt,
          allowedModels,
          accountIds,
          groupIds,
          scopes,
          limits,
        },
        manager,
      );
      await this.audit.record(manager, {
        action: audited?.action ?? 'key.create',
        target: audited?.target ?? { type: 'key', id: keyId, label: dto.name },
        changes: {
          after: {
            keyId,
            name: dto.name,
            ownerId: ownerUserId,
            prefix: secret.prefix,
            expiresAt,
            allowedModels,
            accountIds,
            groupIds,
            scopes,
            limits,
          },
        },
      });
      return keyId;
    });
    this.auth.invalidateKey(id, secret.digest);
    const row = (await this.keys.findOwned({ userId: ownerUserId }, id))!;
    return { key: secret.key, apiKey: await this.toDto(row) };
  }

  async update(principal: Principal, id: string, dto: UpdateApiKeyDto): Promise<ApiKeyDto> {
    const scope = ownerScopeFor(principal);
    const patch: ApiKeyPatch = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.expiresAt !== undefined) patch.expiresAt = parseExpiry(dto.expiresAt, false);
    if (dto.allowedModels !== undefined) patch.allowedModels = normalizeModels(dto.allowedModels);
    if (dto.isActive !== undefined) patch.isActive = dto.isActive;
    if (dto.limits !== undefined) patch.limits = checkLimits(dto.limits);
    if (dto.scopes !== undefined) patch.scopes = checkScopes(dto.scopes);
    const row = await this.keys.transaction(async (manager) => {
      const current = await this.keys.findOwned(scope, id, manager, true);
      if (!current) throw await this.refusal(principal, id);
      if (current.revokedAt)
        throw new ApiError(409, 'api_key_revoked', 'This API key is revoked and can no longer be changed.');
      if (dto.accountIds !== undefined) {
        // The allowlist is checked against the key's owner, not the caller (an admin may edit).
        patch.accountIds = dto.accountIds.length
          ? await this.checkAccounts(current.ownerUserId, dto.accountIds, manager)
          : null;
      }
      if (dto.groupIds !== undefined)
        patch.groupIds = await this.checkGroups(current.ownerUserId, dto.groupIds, manager);
      await this.keys.update(id, current.ownerUserId, patch, manager);
      const updated = (await this.keys.findOwned(scope, id, manager))!;
      await this.audit.record(manager, {
        action: 'key.update',
        target: { type: 'key', id, label: updated.name },
        changes: changedFields(keySnapshot(current), keySnapshot(updated)),
      });
      return updated;
    });
    this.auth.invalidateKey(id);
    return this.toDto(row);
  }

  async regenerate(principal: Principal, id: string): Promise<ApiKeySecretResponse> {
    const scope = ownerScopeFor(principal);
    const secret = generateSecret();
    const rotated = await this.keys.transaction(async (manager) => {
      const current = await this.keys.findOwned(scope, id, manager, true);
      if (!current) return false;
      if (!(await this.keys.rotateSecret(scope, id, { keyDigest: secret.digest, prefix: secret.prefix }, manager)))
        return false;
      await this.audit.record(manager, {
        action: 'key.rotate',
        target: { type: 'key', id, label: current.name },
        changes: { before: { prefix: current.prefix }, after: { prefix: secret.prefix } },
      });
      return true;
    });
    if (!rotated) {
      if (!(await this.keys.findOwned(scope, id))) throw await this.refusal(principal, id);
      throw new ApiError(409, 'api_key_revoked', 'A revoked API key cannot be regenerated.');
    }
    // The old digest's cache entry goes with the key id: the old secret fails from now on.
    this.auth.invalidateKey(id, secret.digest);
    return { key: secret.key, apiKey: await this.toDto(await this.requireOwned(scope, id)) };
  }

  async revoke(principal: Principal, id: string): Promise<void> {
    const scope = ownerScopeFor(principal);
    const revoked = await this.keys.transaction(async (manager) => {
      const current = await this.keys.findOwned(scope, id, manager, true);
      if (!current || !(await this.keys.revoke(scope, id, manager))) return false;
      await this.audit.record(manager, {
        action: 'key.revoke',
        target: { type: 'key', id, label: current.name },
        changes: {
          before: { isActive: current.isActive, revokedAt: current.revokedAt },
          after: { isActive: false, revoked: true },
        },
      });
      return true;
    });
    if (!revoked) throw await this.refusal(principal, id);
    this.auth.invalidateKey(id);
  }

  /**
   * Account by account, why the key may use it or why not, by the router's own rule and memory
   * (AccountPool.explain): `usable` is true exactly for the accounts a request may be routed to.
   */
  async effectiveAccounts(principal: Principal, id: string): Promise<EffectiveAccountsResponse> {
    const scope = this.readScope(principal);
    const row = await this.requireReadable(scope, id);
    const pool = this.modules.get(AccountPool, { strict: false });
    const seen = this.accountsSeenThroughGroups(scope, row);
    const items = pool.explain(poolKeyOf(row)).filter((item) => !seen || seen.has(item.accountId));
    if (row.revokedAt || !row.isActive) {
      for (const item of items)
        if (item.usable) Object.assign(item, { usable: false, reason: 'the key is not active' });
    }
    return { items };
  }

  /** A key's limits with their current use, for GET /v1/usage (the key is already authenticated). */
  async usageForKey(keyId: string): Promise<ApiKeyUsageResponse> {
    const limits = await this.keys.findLimits(keyId);
    return { apiKeyId: keyId, limits: await this.limiter.usage({ id: keyId, limits }) };
  }

  private async requireOwned(scope: OwnerScope, id: string): Promise<ApiKeyRow> {
    const row = await this.keys.findOwned(scope, id);
    if (!row) throw ApiError.notFound('API key');
    return row;
  }

  private async requireReadable(scope: OwnerScope, id: string): Promise<ApiKeyRow> {
    const row = await this.keys.findReadable(scope, id);
    if (!row) throw ApiError.notFound('API key');
    return row;
  }

  /**
   * What the caller reads: their own keys and their groups' keys. A principal the server builds
   * for a service account lists that account's own keys only.
   */
  private readScope(principal: Principal, ownerId?: string): OwnerScope {
    return principal.kind === 'internal'
      ? ownerScopeFor(principal, ownerId)
      : groupScopeFor(principal, this.groups, ownerId);
  }

  /** Why a key the caller cannot change was refused: 403 when they read it through a group, else 404. */
  private async refusal(principal: Principal, id: string): Promise<ApiError> {
    return (await this.keys.findReadable(this.readScope(principal), id))
      ? ApiError.forbidden('You can see this API key through a group but only its owner can change it.')
      : ApiError.notFound('API key');
  }

  /**
   * The accounts a user who reads the key only through their groups may see of it: those owned by
   * or shared into their groups. Undefined when the key is theirs or they are an admin.
   */
  private accountsSeenThroughGroups(scope: OwnerScope, row: ApiKeyRow): ReadonlySet<string> | undefined {
    if (!('userId' in scope) || row.ownerUserId === scope.userId) return undefined;
    const seen = new Set<string>();
    for (const groupId of scope.groupIds ?? []) {
      for (const accountId of this.groups.ownedBy(groupId)) seen.add(accountId);
      for (const accountId of this.groups.sharedInto(groupId)) seen.add(accountId);
    }
    return seen;
  }

  /** A key read through groups shows only the groups and accounts the reader sees, as accounts do. */
  private asSeenBy(scope: OwnerScope, row: ApiKeyRow): ApiKeyRow {
    const seen = this.accountsSeenThroughGroups(scope, row);
    if (!seen || !('userId' in scope)) return row;
    const groups = new Set(scope.groupIds ?? []);
    return {
      ...row,
      groupIds: row.groupIds.filter((id) => groups.has(id)),
      accountIds: row.accountIds.filter((id) => seen.has(id)),
      allowlistIds: row.allowlistIds.filter((id) => seen.has(id)),
    };
  }

  private async toDto(row: ApiKeyRow): Promise<ApiKeyDto> {
    return toApiKeyDto(row, await this.limiter.usage(row));
  }

  /** Another owner's account and a missing one are refused alike, so ids reveal nothing. */
  private async checkAccounts(
    ownerUserId: string,
    accountIds: string[],
    manager: Parameters<ApiKeysRepository['usableAccountIds']>[2],
  ): Promise<string[]> {
    const wanted = [...new Set(accountIds.map((id) => id.toLowerCase()))];
    const owned = await this.keys.usableAccountIds(ownerUserId, wanted, manager);
    const unknown = wanted.filter((id) => !owned.has(id));
    if (unknown.length > 0) {
      throw new ApiError(
        400,
        'invalid_account_ids',
        `These account ids are not accounts the key's owner can use: ${unknown.join(', ')}.`,
      );
    }
    return wanted;
  }

  /** Attaching a group needs the key owner's membership as member or owner; others read as unknown. */
  private async checkGroups(
    ownerUserId: string,
    groupIds: string[],
    manager: Parameters<ApiKeysRepository['routingGroupIds']>[2],
  ): Promise<string[]> {
    const wanted = [...new Set(groupIds.map((id) => id.toLowerCase()))];
    const allowed = await this.keys.routingGroupIds(ownerUserId, wanted, manager);
    const refused = wanted.filter((id) => !allowed.has(id));
    if (refused.length > 0) {
      throw new ApiError(
        400,
        'invalid_group_ids',
        `The key's owner is not a member or owner of these groups: ${refused.join(', ')}.`,
      );
    }
    return wanted.sort();
  }
}

/** `proxy` by default; management scopes from the permission list, never user or role management. */
export function checkScopes(scopes: string[] | undefined): string[] {
  if (scopes === undefined) return [...API_KEY_DEFAULT_SCOPES];
  const forbidden = scopes.filter((scope) => (API_KEY_FORBIDDEN_SCOPES as readonly string[]).includes(scope));
  if (forbidden.length > 0) {
    throw new ApiError(
      400,
      'invalid_scopes',
      `An API key cannot carry these scopes (keys never manage users, roles or owners): ${forbidden.join(', ')}.`,
    );
  }
  return [...new Set(scopes)].sort();
}

/** The fields of a key a change is audited by (never its digest). */
function keySnapshot(row: ApiKeyRow): Record<string, unknown> {
  return {
    name: row.name,
    isActive: row.isActive,
    expiresAt: row.expiresAt,
    allowedModels: row.allowedModels,
    accountIds: row.accountsRestricted ? row.allowlistIds : null,
    groupIds: row.groupIds,
    scopes: row.scopes,
    limits: row.limits,
  };
}

/** What the pool rule reads of a key row: the same fields the authenticated key carries. */
export function poolKeyOf(row: ApiKeyRow): PoolKey {
  return {
    ownerUserId: row.ownerUserId,
    groupIds: row.groupIds,
    accountIds: row.accountsRestricted ? row.allowlistIds : null,
  };
}

function parseExpiry(value: string | null | undefined, creating: boolean): Date | null {
  if (value === undefined || value === null) return null;
  const date = new Date(value);
  if (creating && date.getTime() <= Date.now()) throw ApiError.badRequest('expiresAt must be in the future.');
  return date;
}

function normalizeModels(models: string[] | undefined): string[] {
  return [...new Set((models ?? []).map(normalizeModel).filter(Boolean))];
}

function checkLimits(limits: ApiKeyLimitDtoIn[] | undefined): KeyLimit[] {
  const seen = new Set<string>();
  return (limits ?? []).map((input, index) => {
    const model = input.model ? normalizeModel(input.model) : null;
    if (input.kind !== 'cost_usd' && !Number.isInteger(input.max)) {
      throw ApiError.badRequest(`limits[${index}].max must be a whole number for ${input.kind}.`);
    }
    const signature = `${input.kind}|${input.window}|${model ?? ''}`;
    if (seen.has(signature)) {
      throw ApiError.badRequest(
        `limits[${index}] repeats the ${input.kind} limit per ${input.window}${model ? ` for ${model}` : ''}.`,
      );
    }
    seen.add(signature);
    return { kind: input.kind, window: input.window, max: input.max, model };
  });
}
