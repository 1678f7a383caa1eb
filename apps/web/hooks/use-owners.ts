'use client';
// Owners for admin filters and reassignment: every dashboard user. Only admins may list users,
// so the query stays off for everyone else.
import { useUsers } from './use-users';

export const OWNER_LIST_LIMIT = 500;

export function useOwners(enabled: boolean) {
  const query = useUsers({ limit: OWNER_LIST_LIMIT }, { enabled });
  return { ...query, owners: query.data?.items ?? [] };
}
