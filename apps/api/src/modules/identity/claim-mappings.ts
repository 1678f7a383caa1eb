// Mappings from ID token claims to a role and to group memberships, evaluated at every sign-in.
// A claim matches when it equals the value, or, for a list claim such as `groups`, contains it
// (claims are compared as strings: `true` matches "true"). The first matching rule with a role
// decides the role; without one the user gets the provider's default role, so a person removed
// from the directory group loses the role it granted at their next sign-in (a provider with no
// role rules leaves roles to the dashboard). Every group a rule
// names is managed: a match puts the user in it (the strongest group role of the matches), no
// match takes them out. A rule granting an admin-level role without allowAdmin never applies.
import type { GroupRole, RoleSlug } from '@codex-lb/shared';
import type { MappingRow } from './identity-providers.repository';

const GROUP_ROLE_STRENGTH: Record<GroupRole, number> = { viewer: 0, member: 1, owner: 2 };

export interface MappingOutcome {
  /** null: the provider has no role rules, the user's role is not the directory's to decide. */
  role: RoleSlug | null;
  /** Every group the rules name: the role to hold in it, or null for "not a member". */
  groups: Map<string, GroupRole | null>;
}

function claimValues(claims: Record<string, unknown>, name: string): string[] {
  const value = claims[name];
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list
    .filter((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
    .map(String);
}

export function matches(claims: Record<string, unknown>, mapping: Pick<MappingRow, 'claim' | 'value'>): boolean {
  return claimValues(claims, mapping.claim).includes(mapping.value);
}

export function evaluateMappings(
  claims: Record<string, unknown>,
  mappings: readonly MappingRow[],
  defaultRole: RoleSlug,
  isAdminRole: (role: RoleSlug) => boolean,
): MappingOutcome {
  let role: RoleSlug | null = null;
  const groups = new Map<string, GroupRole | null>();
  for (const mapping of mappings) {
    if (mapping.groupId && !groups.has(mapping.groupId)) groups.set(mapping.groupId, null);
  }
  for (const mapping of mappings) {
    if (!matches(claims, mapping)) continue;
    if (mapping.role && role === null && (mapping.allowAdmin || !isAdminRole(mapping.role))) role = mapping.role;
    if (mapping.groupId && mapping.groupRole) {
      const held = groups.get(mapping.groupId);
      if (!held || GROUP_ROLE_STRENGTH[mapping.groupRole] > GROUP_ROLE_STRENGTH[held]) {
        groups.set(mapping.groupId, mapping.groupRole);
      }
    }
  }
  const decidesRole = mappings.some((mapping) => mapping.role);
  return { role: decidesRole ? (role ?? defaultRole) : null, groups };
}
