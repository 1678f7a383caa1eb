'use client';
// Owners for admin filters and reassignment: every dashboard user. Only admins may list users,
// so the query stays off for everyone else.
import { useUsers } from './use-users';

// The API caps page size at 200; more owners than that would need a searchable picker.
export const OWNER_LIST_LIMIT = 200;

export function useOwners(enabled: boolean) {
  const query = useUsers({ limit: OWNER_LIST_LIMIT }, { enabled });
  return { ...query, owners: query.data?.items ?? [] };
}
