// Service accounts: principals of kind `service` (same id space as users) that belong to one
// group, or to the admins, have no password, never sign in, and hold API keys that draw on their
// group's pool like a member's. Managed by admins and by the owners of their group.
import type { ApiKeyDto, ApiKeyLimitInput } from './api-keys';

/** Names share the username rules (and the one name space of principals). */
export const SERVICE_ACCOUNT_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,63}$/;

export interface ServiceAccountDto {
  id: string;
  name: string;
  /** Null: it belongs to the admins (or its group was deleted, which also disabled it). */
  groupId: string | null;
  groupName: string | null;
  /** False: every key of it is refused, from the next request on. */
  isActive: boolean;
  /** Keys not revoked. */
  keyCount: number;
  /** The latest use of any of its keys. */
  lastUsedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceAccountPage {
  items: ServiceAccountDto[];
  nextCursor: string | null;
}

export interface CreateServiceAccountRequest {
  name: string;
  /** The group it belongs to; null or absent: the admins' (admins only). */
  groupId?: string | null;
}

export interface UpdateServiceAccountRequest {
  name?: string;
  /** true re-enables it (its keys work again), false disables it. */
  isActive?: boolean;
}

/** A key for a service account: it always draws on the account's group. */
export interface CreateServiceAccountKeyRequest {
  name: string;
  /** Default ['proxy']; management scopes as for any key. */
  scopes?: string[];
  expiresAt?: string | null;
  allowedModels?: string[];
  limits?: ApiKeyLimitInput[];
}

export interface ServiceAccountKeysResponse {
  items: ApiKeyDto[];
  nextCursor: string | null;
}
