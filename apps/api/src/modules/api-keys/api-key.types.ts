// What an authenticated key is to the rest of the app (the proxy above all): who owns it, what it
// may reach, and its limits. Built once per cache fill, then shared read-only by every request.
import type { ApiKeyLimitKind, ApiKeyLimitWindow, RoleSlug } from '@codex-lb/shared';
import type { Principal } from '../../common/principal';
import { modelMatches } from '../usage/pricing';

export interface KeyLimit {
  kind: ApiKeyLimitKind;
  window: ApiKeyLimitWindow;
  max: number;
  /** null = counts every model; otherwise a model name or a `family-*` pattern. */
  model: string | null;
}

export interface AuthenticatedKey {
  id: string;
  name: string;
  ownerUserId: string;
  ownerUsername: string;
  ownerRole: RoleSlug;
  /** The owner's role's permissions when the key was loaded (a role change drops the entry). */
  ownerPermissions: readonly string[];
  /** Empty = every model. */
  allowedModels: readonly string[];
  /** null = every account the owner may use; otherwise only these (possibly none). */
  accountIds: readonly string[] | null;
  /** Groups whose pool the key draws on while its owner is a member or owner of each. */
  groupIds: readonly string[];
  /** `proxy` and/or management permissions. */
  scopes: readonly string[];
  limits: readonly KeyLimit[];
  /** Epoch milliseconds, or null for a key that never expires. */
  expiresAt: number | null;
  /** The principal the guard puts on the request for API-key routes. */
  principal: Principal;
}

/** Whether the key may call this model (an empty allowlist allows every model). */
export function isModelAllowed(key: Pick<AuthenticatedKey, 'allowedModels'>, model: string | null | undefined) {
  if (key.allowedModels.length === 0) return true;
  return key.allowedModels.some((pattern) => modelMatches(pattern, model));
}
