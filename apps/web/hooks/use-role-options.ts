'use client';
// The roles a user can be given, for the Users page's selects: every role from /api/roles when
// the session may read them, else the presets (the API still decides what an assignment allows).
import { useCan } from '@/components/session-provider';
import { useRoles } from './use-roles';

export interface RoleOption {
  slug: string;
  name: string;
}

export const PRESET_ROLE_OPTIONS: readonly RoleOption[] = [
  { slug: 'admin', name: 'Admin' },
  { slug: 'operator', name: 'Operator' },
  { slug: 'viewer', name: 'Viewer' },
  { slug: 'user', name: 'User' },
];

export function useRoleOptions(): RoleOption[] {
  const roles = useRoles({ enabled: useCan('roles:read') });
  return roles.data?.length ? roles.data.map(({ slug, name }) => ({ slug, name })) : [...PRESET_ROLE_OPTIONS];
}

/** The options, plus `current` when the list does not name it (a role created since). */
export function withCurrent(options: readonly RoleOption[], current: string): RoleOption[] {
  return options.some((option) => option.slug === current)
    ? [...options]
    : [...options, { slug: current, name: current }];
}
