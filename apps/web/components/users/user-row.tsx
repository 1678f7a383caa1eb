'use client';
import type { Role, UserDto } from '@codex-lb/shared';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/input';
import { Td } from '@/components/ui/table';
import { formatDateTime, formatRelative } from '@/lib/format';

export interface UserRowActions {
  onChangeRole: (user: UserDto, role: Role) => void;
  onToggleActive: (user: UserDto) => void;
  onResetPassword: (user: UserDto) => void;
  onDelete: (user: UserDto) => void;
}

export function UserRow({
  user,
  isSelf,
  busy,
  actions,
}: {
  user: UserDto;
  isSelf: boolean;
  busy: boolean;
  actions: UserRowActions;
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
        {/* The API refuses demoting the last admin; its message is shown as a toast. */}
        <Select
          aria-label={`Role of ${user.username}`}
          controlSize="sm"
          className="w-28"
          value={user.role}
          disabled={busy}
          onChange={(event) => actions.onChangeRole(user, event.target.value as Role)}
        >
          <option value="user">user</option>
          <option value="admin">admin</option>
        </Select>
      </Td>
      <Td>{user.isActive ? <Badge tone="green">active</Badge> : <Badge tone="neutral">deactivated</Badge>}</Td>
      <Td className="text-zinc-600" title={formatDateTime(user.lastLoginAt)}>
        {user.lastLoginAt ? formatRelative(user.lastLoginAt) : 'never'}
      </Td>
      <Td className="text-zinc-600">{formatDateTime(user.createdAt)}</Td>
      <Td>
        <div className="flex justify-end gap-1.5">
          <Button size="sm" variant="ghost" onClick={() => actions.onResetPassword(user)} disabled={busy}>
            Reset password
          </Button>
          <Button size="sm" variant="ghost" onClick={() => actions.onToggleActive(user)} disabled={busy}>
            {user.isActive ? 'Deactivate' : 'Activate'}
          </Button>
          <Button
            size="sm"
            variant="ghost"
            className="text-red-600 hover:bg-red-50"
            onClick={() => actions.onDelete(user)}
            disabled={busy || isSelf}
            title={isSelf ? 'You cannot delete your own account.' : undefined}
          >
            Delete
          </Button>
        </div>
      </Td>
    </tr>
  );
}
