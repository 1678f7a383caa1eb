// Roles and the permission vocabulary, as the API serves them. The API owns the rules (no grant
// beyond your own, no deleting a role in use, presets read-only); the page only mirrors them.
import {
  ROLE_NAME_MAX_LENGTH,
  ROLE_SLUG_PATTERN,
  type CreateRoleRequest,
  type PermissionDto,
  type RoleDto,
  type RoleHolderDto,
  type UpdateRoleRequest,
} from '@codex-lb/shared';
import { apiRequest } from '@/lib/api-client';

export type { CreateRoleRequest, PermissionDto, RoleDto, RoleHolderDto, UpdateRoleRequest };

/** Lists may come bare or as `{ items }`; both read the same. */
type List<T> = T[] | { items: T[] };
const items = <T>(list: List<T>): T[] => (Array.isArray(list) ? list : list.items);

export const rolesApi = {
  permissions: async () => items(await apiRequest<List<PermissionDto>>('/permissions')),
  list: async () => items(await apiRequest<List<RoleDto>>('/roles')),
  get: (id: string) => apiRequest<RoleDto>(`/roles/${encodeURIComponent(id)}`),
  create: (body: CreateRoleRequest) => apiRequest<RoleDto>('/roles', { method: 'POST', body }),
  update: (id: string, body: UpdateRoleRequest) =>
    apiRequest<RoleDto>(`/roles/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => apiRequest<void>(`/roles/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  holders: async (id: string) =>
    items(await apiRequest<List<RoleHolderDto>>(`/roles/${encodeURIComponent(id)}/holders`)),
};

/** The permissions grouped by resource (the part before the colon), in vocabulary order. */
export function permissionsByResource(
  list: readonly PermissionDto[],
): Array<{ resource: string; items: PermissionDto[] }> {
  const groups = new Map<string, PermissionDto[]>();
  for (const permission of list) {
    const resource = permission.id.split(':')[0];
    groups.set(resource, [...(groups.get(resource) ?? []), permission]);
  }
  return [...groups].map(([resource, grouped]) => ({ resource, items: grouped }));
}

export function validateRoleDraft(draft: { slug: string; name: string }, isNew: boolean) {
  const errors: { slug?: string; name?: string } = {};
  const name = draft.name.trim();
  if (!name) errors.name = 'Name the role after what its holders do, such as Finance.';
  else if (name.length > ROLE_NAME_MAX_LENGTH) errors.name = `Use at most ${ROLE_NAME_MAX_LENGTH} characters.`;
  if (isNew && !ROLE_SLUG_PATTERN.test(draft.slug.trim()))
    errors.slug = 'Use 2–32 lower-case letters, digits and dashes, starting with a letter or digit.';
  return errors;
}
