'use client';
import type { UserDto } from '@codex-lb/shared';
import { ActionMenu } from '@/components/ui/action-menu';
import { Badge } from '@/components/ui/badge';
import { Select } from '@/components/ui/input';
import { Td } from '@/components/ui/table';
import { withCurrent, type RoleOption } from '@/hooks/use-role-options';
import { formatDateTime, formatRelative } from '@/lib/format';

export interface UserRowActions {
  onChangeRole: (user: UserDto, role: string) => void;
  onToggleActive: (user: UserDto) => void;
  onResetPassword: (user: UserDto) => void;
  onResetMfa: (user: UserDto) => void;
  onDelete: (user: UserDto) => void;
}

export function UserRow({
  user,
  isSelf,
  busy,
  roles,
  actions,
}: {
  user: UserDto;
  isSelf: boolean;
  busy: boolean;
  roles: readonly RoleOption[];
  /** Absent for readers without users:manage: the row shows no control at all. */
  actions?: UserRowActions;
}) {
  return (
    <tr>
      <Td>
        <div className="font-medium text-zinc-900">
          {user.username}
          {isSelf ? <span className="ml-1.5 text-xs font-normal text-zinc-500">(you)</span> : null}
        </div>
        {user.mustChangePassword ? <div className="text-xs text-amber-700">must change password</div> : null}
      </Td>
      <Td>
        {actions ? (
          // The API refuses demoting the last manager and granting beyond your own; its message is a toast.
          <Select
            aria-label={`Role of ${user.username}`}
            controlSize="sm"
            className="w-auto min-w-28"
            value={user.role}
            disabled={busy}
            onChange={(event) => actions.onChangeRole(user, event.target.value)}
          >
            {withCurrent(roles, user.role).map((role) => (
              <option key={role.slug} value={role.slug}>
                {role.slug}
              </option>
            ))}
          </Select>
        ) : (
          <Badge>{user.role}</Badge>
        )}
      </Td>
      <Td>{user.isActive ? <Badge tone="green">active</Badge> : <Badge tone="neutral">deactivated</Badge>}</Td>
      <Td className="text-zinc-600" title={formatDateTime(user.lastLoginAt)}>
        {user.lastLoginAt ? formatRelative(user.lastLoginAt) : 'never'}
      </Td>
      <Td className="text-zinc-600">{formatDateTime(user.createdAt)}</Td>
      <Td className="text-right">
        {actions ? (
          <ActionMenu
            label={`Actions for ${user.username}`}
            items={[
              { label: 'Reset password', onSelect: () => actions.onResetPassword(user), disabled: busy },
              // An admin never resets their own second factor: they disable it in Settings with a code.
              { label: 'Reset 2FA', onSelect: () => actions.onResetMfa(user), hidden: isSelf, disabled: busy },
              {
                label: user.isActive ? 'Deactivate' : 'Activate',
                onSelect: () => actions.onToggleActive(user),
                disabled: busy,
              },
              { label: 'Delete', onSelect: () => actions.onDelete(user), danger: true, hidden: isSelf },
            ]}
          />
        ) : null}
      </Td>
    </tr>
  );
}
