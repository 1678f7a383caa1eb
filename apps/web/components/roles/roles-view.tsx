'use client';
// The Roles page: every role with its holders and permissions. roles:read shows it; roles:manage
// adds creating, editing and deleting custom roles. Presets are defined in code and read-only.
import { useState } from 'react';
import { toast } from 'sonner';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { ActionMenu } from '@/components/ui/action-menu';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Dialog } from '@/components/ui/dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { usePermissionList, useRoleHolders, useRoleMutations, useRoles } from '@/hooks/use-roles';
import { ApiError, errorMessage } from '@/lib/api-client';
import type { RoleDto } from '@/lib/api/roles';
import { RoleEditorDialog } from './role-editor-dialog';

export function RolesView() {
  const session = useCurrentSession();
  const canManage = useCan('roles:manage');
  const roles = useRoles();
  const vocabulary = usePermissionList({ enabled: canManage });
  const { remove } = useRoleMutations();
  const [editing, setEditing] = useState<RoleDto | 'new' | null>(null);
  const [deleting, setDeleting] = useState<RoleDto | null>(null);
  const [deleteError, setDeleteError] = useState<string>();
  const [showingHolders, setShowingHolders] = useState<RoleDto | null>(null);
  const list = roles.data ?? [];

  const createButton = canManage ? <Button onClick={() => setEditing('new')}>New role</Button> : null;

  function confirmDelete() {
    if (!deleting) return;
    const role = deleting;
    remove.mutate(role.id, {
      onSuccess: () => {
        toast.success(`${role.name} deleted.`);
        setDeleting(null);
      },
      // 409 says how many hold it; keep the dialog open with that sentence.
      onError: (error) =>
        setDeleteError(error instanceof ApiError && error.status === 409 ? error.message : errorMessage(error)),
    });
  }

  return (
    <>
      <PageHeader
        title="Roles"
        description="What each role may do. Users hold one role; a change applies on their next request."
        actions={createButton}
      />
      <QueryState query={roles} feature="Roles">
        {list.length === 0 ? (
          <EmptyState title="No roles" description="The preset roles appear here once the server has them." />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Role</Th>
                  <Th className="text-right">Holders</Th>
                  <Th>Permissions</Th>
                  <Th className="text-right">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {list.map((role) => (
                  <tr key={role.id} data-testid={`role-${role.slug}`}>
                    <Td>
                      <div className="flex items-center gap-2 font-medium text-zinc-900">
                        {role.name}
                        {role.preset ? <Badge tone="blue">preset</Badge> : <Badge>custom</Badge>}
                        {role.slug === session.user.role ? <Badge tone="violet">yours</Badge> : null}
                      </div>
                      <div className="font-mono text-xs text-zinc-500">{role.slug}</div>
                    </Td>
                    <Td className="text-right tabular-nums">
                      <button
                        type="button"
                        className="rounded px-1 text-sky-700 underline-offset-2 hover:underline"
                        aria-label={`Holders of ${role.name}`}
                        onClick={() => setShowingHolders(role)}
                      >
                        {role.holders ?? 'list'}
                      </button>
                    </Td>
                    <Td>
                      <div className="flex max-w-xl flex-wrap gap-1">
                        {role.permissions.map((permission) => (
                          <code key={permission} className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-700">
                            {permission}
                          </code>
                        ))}
                      </div>
                    </Td>
                    <Td className="text-right">
                      {canManage && !role.preset ? (
                        <ActionMenu
                          label={`Actions for role ${role.name}`}
                          items={[
                            { label: 'Edit', onSelect: () => setEditing(role) },
                            {
                              label: 'Delete',
                              danger: true,
                              onSelect: () => {
                                setDeleteError(undefined);
                                setDeleting(role);
                              },
                            },
                          ]}
                        />
                      ) : null}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        )}
      </QueryState>

      {canManage ? (
        <RoleEditorDialog
          open={editing !== null}
          role={editing === 'new' ? null : editing}
          vocabulary={vocabulary.data ?? []}
          held={session.permissions}
          onClose={() => setEditing(null)}
        />
      ) : null}
      <RoleHoldersDialog role={showingHolders} onClose={() => setShowingHolders(null)} />
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete ${deleting?.name ?? ''}?`}
        description={
          deleteError ? (
            <Alert>{deleteError}</Alert>
          ) : (
            'Only a role nobody holds can be deleted; move its holders to another role first.'
          )
        }
        confirmLabel="Delete role"
        busy={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={confirmDelete}
      />
    </>
  );
}

function RoleHoldersDialog({ role, onClose }: { role: RoleDto | null; onClose: () => void }) {
  const holders = useRoleHolders(role?.id ?? null);
  const list = holders.data ?? [];
  return (
    <Dialog open={Boolean(role)} onClose={onClose} variant="side" title={`Holders of ${role?.name ?? ''}`}>
      <QueryState query={holders} feature="Role holders">
        {list.length === 0 ? (
          <p className="text-sm text-zinc-500">Nobody holds this role.</p>
        ) : (
          <ul className="divide-y divide-zinc-100 text-sm" aria-label="Holders">
            {list.map((holder) => (
              <li key={holder.id} className="flex items-center justify-between py-2">
                <span className="font-medium text-zinc-900">{holder.username}</span>
                {holder.isActive === false ? <Badge>deactivated</Badge> : null}
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </Dialog>
  );
}
