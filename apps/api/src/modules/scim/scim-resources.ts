// The SCIM wire shapes (RFC 7643): schema URNs, the User and Group resources with their `meta`,
// and ListResponse, mapped from rows here so no row leaves the module as it is stored.
import type { ScimGroupMemberRow, ScimGroupRow } from './scim-groups.repository';
import type { ScimEmail, ScimUserRow } from './scim-users.repository';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimMetaShape {
  resourceType: 'User' | 'Group';
  created: string;
  lastModified: string;
  location: string;
  version: string;
}

export interface ScimUserResource {
  schemas: [typeof USER_SCHEMA];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  displayName?: string;
  active: boolean;
  emails: ScimEmail[];
  groups: { value: string; display: string; $ref: string }[];
  meta: ScimMetaShape;
}

export interface ScimGroupResource {
  schemas: [typeof GROUP_SCHEMA];
  id: string;
  externalId?: string;
  displayName: string;
  members?: { value: string; display: string; $ref: string }[];
  meta: ScimMetaShape;
}

export interface ScimListResponse<T> {
  schemas: [typeof LIST_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/** A weak ETag from the last change (RFC 7644 §3.14). */
function version(lastModified: Date): string {
  return `W/"${new Date(lastModified).getTime().toString(36)}"`;
}

function meta(resourceType: 'User' | 'Group', location: string, created: Date, lastModified: Date): ScimMetaShape {
  return {
    resourceType,
    created: new Date(created).toISOString(),
    lastModified: new Date(lastModified).toISOString(),
    location,
    version: version(lastModified),
  };
}

export function toScimUser(row: ScimUserRow, baseUrl: string): ScimUserResource {
  const name: ScimUserResource['name'] = {};
  if (row.givenName) name.givenName = row.givenName;
  if (row.familyName) name.familyName = row.familyName;
  if (row.givenName || row.familyName) name.formatted = [row.givenName, row.familyName].filter(Boolean).join(' ');
  return {
    schemas: [USER_SCHEMA],
    id: row.id,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    userName: row.username,
    ...(Object.keys(name).length ? { name } : {}),
    ...(row.displayName ? { displayName: row.displayName } : {}),
    active: row.isActive,
    emails: row.emails,
    groups: row.groups.map((group) => ({
      value: group.id,
      display: group.name,
      $ref: `${baseUrl}/Groups/${group.id}`,
    })),
    meta: meta('User', `${baseUrl}/Users/${row.id}`, row.createdAt, row.updatedAt),
  };
}

/** `members` null: left out (the directory excluded it). */
export function toScimGroup(
  row: ScimGroupRow,
  members: ScimGroupMemberRow[] | null,
  baseUrl: string,
): ScimGroupResource {
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    displayName: row.name,
    ...(members
      ? {
          members: members.map((member) => ({
            value: member.principalId,
            display: member.username,
            $ref: `${baseUrl}/Users/${member.principalId}`,
          })),
        }
      : {}),
    meta: meta('Group', `${baseUrl}/Groups/${row.id}`, row.createdAt, row.updatedAt),
  };
}

export function listResponse<T>(resources: T[], total: number, startIndex: number): ScimListResponse<T> {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
