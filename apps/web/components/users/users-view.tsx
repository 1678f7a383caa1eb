'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import type { UserDto } from '@codex-lb/shared';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { Select } from '@/components/ui/input';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Th } from '@/components/ui/table';
import { useRoleOptions } from '@/hooks/use-role-options';
import { useUserMutations, useUsers } from '@/hooks/use-users';
import { errorMessage } from '@/lib/api-client';
import type { UserListFilters } from '@/lib/api/users';
import { CreateUserDialog } from './create-user-dialog';
import { ResetPasswordDialog } from './reset-password-dialog';
import { UserRow } from './user-row';

const PAGE_SIZE = 25;

export function UsersView() {
  const session = useCurrentSession();
  const [filters, setFilters] = useState<UserListFilters>({ role: '', active: '', offset: 0, limit: PAGE_SIZE });
  const users = useUsers(filters);
  const { update, remove, resetMfa } = useUserMutations();
  const canManage = useCan('users:manage');
  const roles = useRoleOptions();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserDto | null>(null);
  const [resettingMfa, setResettingMfa] = useState<UserDto | null>(null);
  const [deleting, setDeleting] = useState<UserDto | null>(null);

  // Guard refusals (last admin, deleting yourself) come back as plain sentences; show them as is.
  const fail = (error: unknown) => toast.error(errorMessage(error));

  const actions = {
    onChangeRole: (user: UserDto, role: string) =>
      update.mutate(
        { id: user.id, body: { role } },
        { onSuccess: () => toast.success(`${user.username} is now ${role}.`), onError: fail },
      ),
    onToggleActive: (user: UserDto) =>
      update.mutate(
        { id: user.id, body: { isActive: !user.isActive } },
        {
          onSuccess: () =>
            toast.success(
              user.isActive ? `${user.username} deactivated and signed out.` : `${user.username} activated.`,
            ),
          onError: fail,
        },
      ),
    onResetPassword: setResetting,
    onResetMfa: setResettingMfa,
    onDelete: setDeleting,
  };

  const createButton = canManage ? <Button onClick={() => setCreating(true)}>New user</Button> : null;
  const page = users.data;
  const offset = filters.offset ?? 0;
  const setFilter = (patch: Partial<UserListFilters>) => setFilters((current) => ({ ...current, ...patch, offset: 0 }));

  return (
    <>
      <PageHeader
        title="Users"
        description="People who can sign in to this dashboard. What each may see and do comes from their role."
        actions={createButton}
      />
      <div className="mb-4 flex flex-wrap gap-3">
        <label className="flex items-center gap-2 text-sm">
          <span className="text-zinc-600">Role</span>
          <Select
            className="w-auto"
            value={filters.role}
            onChange={(e) => setFilter({ role: e.target.value as UserListFilters['role'] })}
          >
            <option value="">Any</option>
            {roles.map((role) => (
              <option key={role.slug} value={role.slug}>
                {role.slug}
              </option>
            ))}
          </Select>
        </label>
        <label className="flex items-center gap-2 text-sm">
          <span className="text-zinc-600">Status</span>
          <Select
            className="w-auto"
            value={filters.active}
            onChange={(e) => setFilter({ active: e.target.value as UserListFilters['active'] })}
          >
            <option value="">Any</option>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
          </Select>
        </label>
      </div>
      <QueryState query={users} feature="Users">
        {page && page.items.length === 0 ? (
          <EmptyState
            title="No users match"
            description={
              canManage ? 'Change the filters, or create a user so a teammate can sign in.' : 'Change the filters.'
            }
            action={createButton}
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Username</Th>
                  <Th>Role</Th>
                  <Th>Status</Th>
                  <Th>Last sign-in</Th>
                  <Th>Created</Th>
                  <Th className="text-right">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {page?.items.map((user) => (
                  <UserRow
                    key={user.id}
                    user={user}
                    isSelf={user.id === session.user.id}
                    busy={update.isPending && update.variables?.id === user.id}
                    roles={roles}
                    actions={canManage ? actions : undefined}
                  />
                ))}
              </tbody>
            </Table>
            {page && page.total > PAGE_SIZE ? (
              <div className="flex items-center justify-between border-t border-zinc-100 px-4 py-3 text-sm text-zinc-600">
                <span>
                  {offset + 1}–{Math.min(offset + PAGE_SIZE, page.total)} of {page.total}
                </span>
                <div className="flex gap-2">
                  <Button
                    size="sm"
                    variant="outline"
                    disabled={offset === 0}
                    onClick={() => setFilters((f) => ({ ...f, offset: Math.max(0, offset - PAGE_SIZE) }))}
                  >
                    Previous
                  </Button>
                  <Button
                    size="sm"
                    variant="outline"
                    disabled={offset + PAGE_SIZE >= page.total}
                    onClick={() => setFilters((f) => ({ ...f, offset: offset + PAGE_SIZE }))}
                  >
                    Next
                  </Button>
                </div>
              </div>
            ) : null}
          </Card>
        )}
      </QueryState>

      <CreateUserDialog open={creating} roles={roles} onClose={() => setCreating(false)} />
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
      <ConfirmDialog
        open={Boolean(resettingMfa)}
        title={`Reset two-factor sign-in for ${resettingMfa?.username ?? ''}?`}
        description="Their authenticator and recovery codes stop working and they are signed out everywhere. They sign in with their password and enrol again."
        confirmLabel="Reset 2FA"
        busy={resetMfa.isPending}
        onClose={() => setResettingMfa(null)}
        onConfirm={() =>
          resettingMfa &&
          resetMfa.mutate(resettingMfa.id, {
            onSuccess: () =>
              toast.success(`Two-factor sign-in reset for ${resettingMfa.username}; they were signed out.`),
            onError: fail,
            onSettled: () => setResettingMfa(null),
          })
        }
      />
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete ${deleting?.username ?? ''}?`}
        description="They are signed out and can no longer sign in. This cannot be undone; deactivate them instead if you may need the account again."
        confirmLabel="Delete user"
        busy={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`${deleting.username} deleted.`);
              setDeleting(null);
            },
            onError: (error) => {
              fail(error);
              setDeleting(null);
            },
          })
        }
      />
    </>
  );
}
