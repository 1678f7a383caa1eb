'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import { KeySecretDialog } from '@/components/api-keys/key-secret-dialog';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { ActionMenu } from '@/components/ui/action-menu';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useGroups } from '@/hooks/use-groups';
import { useServiceAccountMutations, useServiceAccounts } from '@/hooks/use-service-accounts';
import { errorMessage } from '@/lib/api-client';
import type { ServiceAccountDto } from '@/lib/api/service-accounts';
import type { GatewayHint } from '@/lib/client-snippets';
import { formatDate } from '@/lib/format';
import type { ApiKeySecretResponse } from '@codex-lb/shared';
import { CreateServiceAccountDialog } from './create-service-account-dialog';
import { groupsForServiceAccounts, serviceAccountActive } from './service-account-form';
import { ServiceAccountKeysDrawer } from './service-account-keys-drawer';

export function ServiceAccountsView({ gateway }: { gateway: GatewayHint }) {
  const session = useCurrentSession();
  const isAdmin = session.permissions.includes('owners:all');
  const canWrite = useCan('service-accounts:write');
  const accounts = useServiceAccounts();
  const groups = useGroups();
  const mutations = useServiceAccountMutations();
  const [creating, setCreating] = useState(false);
  const [showingKeys, setShowingKeys] = useState<ServiceAccountDto | null>(null);
  const [secret, setSecret] = useState<ApiKeySecretResponse | null>(null);
  const [confirm, setConfirm] = useState<{ kind: 'disable' | 'delete'; account: ServiceAccountDto } | null>(null);

  const allGroups = groups.data?.items ?? [];
  const groupNames = new Map(allGroups.map((group) => [group.id, group.name]));
  // Managed by admins and by the owners of its group.
  const manages = (account: ServiceAccountDto) =>
    canWrite && (isAdmin || allGroups.some((group) => group.id === account.groupId && group.myRole === 'owner'));
  const ownedGroups = groupsForServiceAccounts(allGroups, isAdmin);
  const createButton =
    canWrite && ownedGroups.length ? <Button onClick={() => setCreating(true)}>New service account</Button> : null;
  const list = accounts.data?.items ?? [];

  function confirmAction() {
    if (!confirm) return;
    const { kind, account } = confirm;
    const done = { onError: (error: unknown) => toast.error(errorMessage(error)), onSettled: () => setConfirm(null) };
    if (kind === 'disable')
      mutations.disable.mutate(account.id, {
        ...done,
        onSuccess: () => toast.success(`${account.name} disabled; its keys are refused.`),
      });
    else mutations.remove.mutate(account.id, { ...done, onSuccess: () => toast.success(`${account.name} deleted.`) });
  }

  return (
    <>
      <PageHeader
        title="Service accounts"
        description="Principals for CI jobs and shared tools. They belong to a group, never sign in, and survive people leaving."
        actions={createButton}
      />
      <QueryState query={accounts} feature="Service accounts">
        {list.length === 0 ? (
          <EmptyState
            title="No service accounts yet"
            description={
              ownedGroups.length || !canWrite
                ? 'Create one for a job or tool, then give it a key; requests are logged under its name.'
                : 'Service accounts belong to a group you own. Create a group first.'
            }
            action={createButton}
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Service account</Th>
                  <Th>Group</Th>
                  <Th>Status</Th>
                  <Th>Created</Th>
                  <Th className="text-right">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {list.map((account) => {
                  const active = serviceAccountActive(account);
                  const managed = manages(account);
                  return (
                    <tr key={account.id} className={active ? undefined : 'text-zinc-400'}>
                      <Td className="font-medium text-zinc-900">{account.name}</Td>
                      <Td className="text-zinc-700">
                        {account.groupId
                          ? (account.groupName ?? groupNames.get(account.groupId) ?? '—')
                          : 'Administrators'}
                      </Td>
                      <Td>
                        <Badge tone={active ? 'green' : 'neutral'}>{active ? 'Active' : 'Disabled'}</Badge>
                      </Td>
                      <Td className="text-zinc-600">{formatDate(account.createdAt)}</Td>
                      <Td className="text-right">
                        <ActionMenu
                          label={`Actions for ${account.name}`}
                          items={[
                            { label: 'Keys', onSelect: () => setShowingKeys(account) },
                            {
                              label: 'Disable',
                              onSelect: () => setConfirm({ kind: 'disable', account }),
                              hidden: !managed || !active,
                            },
                            {
                              label: 'Delete',
                              danger: true,
                              onSelect: () => setConfirm({ kind: 'delete', account }),
                              hidden: !managed,
                            },
                          ]}
                        />
                      </Td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
          </Card>
        )}
      </QueryState>
      <CreateServiceAccountDialog open={creating} groups={ownedGroups} onClose={() => setCreating(false)} />
      <ServiceAccountKeysDrawer
        account={showingKeys}
        canWrite={showingKeys ? manages(showingKeys) : false}
        onClose={() => setShowingKeys(null)}
        onCreated={(created) => {
          setShowingKeys(null);
          setSecret(created);
        }}
      />
      <KeySecretDialog secret={secret} gateway={gateway} onClose={() => setSecret(null)} />
      <ConfirmDialog
        open={Boolean(confirm)}
        title={
          confirm?.kind === 'disable' ? `Disable ${confirm.account.name}?` : `Delete ${confirm?.account.name ?? ''}?`
        }
        description={
          confirm?.kind === 'disable'
            ? 'Its keys are refused from the next request on. Past request logs keep its name.'
            : 'It and its keys are removed for good. Past request logs keep its name.'
        }
        confirmLabel={confirm?.kind === 'disable' ? 'Disable' : 'Delete service account'}
        busy={mutations.disable.isPending || mutations.remove.isPending}
        onClose={() => setConfirm(null)}
        onConfirm={confirmAction}
      />
    </>
  );
}
