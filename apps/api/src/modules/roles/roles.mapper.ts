import { PERMISSIONS, type Permission, type RoleDto } from '@codex-lb/shared';
import type { RoleRow } from './roles.repository';

/** The role's permissions in the vocabulary's order (a stored name the code no longer knows is dropped). */
export function orderedPermissions(stored: readonly string[]): Permission[] {
  const held = new Set(stored);
  return PERMISSIONS.filter((permission) => held.has(permission));
}

export function toRoleDto(row: RoleRow): RoleDto {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    preset: row.preset,
    permissions: orderedPermissions(row.permissions),
    holders: row.holders,
  };
}
