// Which groups a caller may put a service account in, and the checks before sending.
import type { GroupDto } from '@codex-lb/shared';

/** Admins may use any group; everyone else the groups they own. */
export function groupsForServiceAccounts(groups: readonly GroupDto[], isAdmin: boolean): GroupDto[] {
  return isAdmin ? [...groups] : groups.filter((group) => group.myRole === 'owner');
}

export function validateServiceAccountDraft(draft: { name: string; groupId: string }): {
  name?: string;
  groupId?: string;
} {
  const errors: { name?: string; groupId?: string } = {};
  const name = draft.name.trim();
  if (!name) errors.name = 'Name the job or tool that will use it, such as ci-deploy.';
  else if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,63}$/.test(name))
    errors.name = 'Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
  if (!draft.groupId) errors.groupId = 'Choose the group whose pool it draws on.';
  return errors;
}

export function serviceAccountActive(account: { isActive?: boolean; disabledAt?: string | null }): boolean {
  return account.isActive ?? !account.disabledAt;
}
