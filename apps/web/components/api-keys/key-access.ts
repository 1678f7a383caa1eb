// The groups and scopes side of a key: the scope vocabulary the dashboard offers, the form state
// for choosing groups and scopes, and a one-line summary of what a key may reach.
import type { Permission } from '@codex-lb/shared';

/**
 * Management scopes a key may carry besides `proxy`: the API refuses user, role and owner
 * management for keys, so they are not offered. Each is granted only if the owner has it too.
 */
export const MANAGEMENT_SCOPES: ReadonlyArray<{ scope: Permission; label: string }> = [
  { scope: 'usage:read', label: 'Read usage and request logs' },
  { scope: 'api-keys:read', label: 'Read API keys' },
  { scope: 'api-keys:write', label: 'Manage API keys' },
  { scope: 'accounts:read', label: 'Read accounts' },
  { scope: 'accounts:write', label: 'Manage accounts' },
  { scope: 'groups:read', label: 'Read groups' },
  { scope: 'groups:write', label: 'Manage groups' },
  { scope: 'service-accounts:read', label: 'Read service accounts' },
  { scope: 'service-accounts:write', label: 'Manage service accounts' },
];

export const PROXY_SCOPE = 'proxy';

export interface KeyAccessDraft {
  groupIds: string[];
  /** Whether the key may make proxy requests (what keys are for by default). */
  proxy: boolean;
  management: string[];
}

export const emptyKeyAccessDraft = (): KeyAccessDraft => ({ groupIds: [], proxy: true, management: [] });

export function keyAccessDraftFrom(key: { groupIds?: string[]; scopes?: string[] }): KeyAccessDraft {
  const scopes = key.scopes ?? [PROXY_SCOPE];
  return {
    groupIds: [...(key.groupIds ?? [])],
    proxy: scopes.includes(PROXY_SCOPE),
    management: scopes.filter((scope) => scope !== PROXY_SCOPE),
  };
}

/** The scopes to send, or an error when the key would be able to do nothing at all. */
export function scopesFromDraft(draft: KeyAccessDraft): { ok: true; scopes: string[] } | { ok: false; error: string } {
  const scopes = [...(draft.proxy ? [PROXY_SCOPE] : []), ...draft.management];
  if (!scopes.length) return { ok: false, error: 'Choose at least one thing the key may do.' };
  return { ok: true, scopes };
}

export function toggle(list: readonly string[], value: string): string[] {
  return list.includes(value) ? list.filter((item) => item !== value) : [...list, value];
}

/** "Own accounts + Platform team · proxy, usage:read": what the key draws on and may do. */
export function apiKeyAccessSummary(
  key: { groupIds?: string[]; scopes?: string[] },
  groupNames: ReadonlyMap<string, string>,
): string {
  const groups = (key.groupIds ?? []).map((id) => groupNames.get(id) ?? 'a group');
  const pool = ['Own accounts', ...groups].join(' + ');
  const scopes = key.scopes?.length ? key.scopes.join(', ') : PROXY_SCOPE;
  return `${pool} · ${scopes}`;
}
