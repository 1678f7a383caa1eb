'use client';
import { useState } from 'react';
import { toast } from 'sonner';
import { OwnerFilter } from '@/components/owner-select';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Th } from '@/components/ui/table';
import { useApiKeyMutations, useApiKeys } from '@/hooks/use-api-keys';
import { useGroups } from '@/hooks/use-groups';
import { errorMessage } from '@/lib/api-client';
import type { GatewayHint } from '@/lib/client-snippets';
import type { ApiKeyDto, ApiKeySecretResponse } from '@codex-lb/shared';
import { ApiKeyRow, type ApiKeyRowActions } from './api-key-row';
import { CreateApiKeyDialog } from './create-api-key-dialog';
import { EditKeyAccessDialog } from './edit-key-access-dialog';
import { EffectiveAccountsDrawer } from './effective-accounts-drawer';
import { KeySecretDialog } from './key-secret-dialog';

export function ApiKeysView({ gateway }: { gateway: GatewayHint }) {
  const seesAllOwners = useCan('owners:all');
  const canWrite = useCan('api-keys:write');
  const session = useCurrentSession();
  const [ownerId, setOwnerId] = useState('');
  const keys = useApiKeys(ownerId);
  const mutations = useApiKeyMutations();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<ApiKeySecretResponse | null>(null);
  const groups = useGroups({ enabled: useCan('groups:read') });
  const groupNames = new Map((groups.data?.items ?? []).map((group) => [group.id, group.name]));
  const [explaining, setExplaining] = useState<ApiKeyDto | null>(null);
  const [editing, setEditing] = useState<ApiKeyDto | null>(null);
  const [confirm, setConfirm] = useState<{ kind: 'revoke' | 'regenerate'; key: ApiKeyDto } | null>(null);

  const actions: ApiKeyRowActions = {
    regenerate: (key) => setConfirm({ kind: 'regenerate', key }),
    revoke: (key) => setConfirm({ kind: 'revoke', key }),
    explain: setExplaining,
    editAccess: canWrite ? setEditing : undefined,
    toggleActive: (key) =>
      mutations.update.mutate(
        { id: key.id, body: { isActive: !key.isActive } },
        {
          onSuccess: () => toast.success(key.isActive ? `${key.name} disabled.` : `${key.name} enabled.`),
          onError: (error) => toast.error(errorMessage(error)),
        },
      ),
  };

  function confirmAction() {
    if (!confirm) return;
    const { kind, key } = confirm;
    const done = { onError: (error: unknown) => toast.error(errorMessage(error)), onSettled: () => setConfirm(null) };
    if (kind === 'revoke')
      mutations.revoke.mutate(key.id, { ...done, onSuccess: () => toast.success(`${key.name} revoked.`) });
    else mutations.regenerate.mutate(key.id, { ...done, onSuccess: setSecret });
  }

  const list = keys.data ?? [];
  const createButton = canWrite ? <Button onClick={() => setCreating(true)}>New API key</Button> : null;

  return (
    <>
      <PageHeader
        title="API keys"
        description="Codex CLI and OpenAI-compatible clients authenticate with these keys. Each key is served by its owner's accounts and the pools of the groups it is attached to."
        actions={createButton}
      />
      {seesAllOwners ? (
        <div className="mb-4">
          <OwnerFilter value={ownerId} onChange={setOwnerId} />
        </div>
      ) : null}
      <QueryState query={keys} feature="API keys">
        {list.length === 0 ? (
          <EmptyState
            title={ownerId ? 'This owner has no API keys' : 'No API keys yet'}
            description="Create a key, then paste the snippet it shows into Codex CLI's config.toml or your tool's environment."
            action={createButton}
          />
        ) : (
          <Card>
            <Table>
              <thead>
                <tr>
                  <Th>Key</Th>
                  {seesAllOwners ? <Th>Owner</Th> : null}
                  <Th>Status</Th>
                  <Th>Limits</Th>
                  <Th>Last used</Th>
                  <Th>Created</Th>
                  <Th className="text-right">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {list.map((key) => (
                  <ApiKeyRow
                    key={key.id}
                    apiKey={key}
                    showOwner={seesAllOwners}
                    actions={actions}
                    groupNames={groupNames}
                    writable={canWrite && (seesAllOwners || key.ownerUserId === session.user.id)}
                  />
                ))}
              </tbody>
            </Table>
          </Card>
        )}
      </QueryState>

      <CreateApiKeyDialog open={creating} onClose={() => setCreating(false)} onCreated={setSecret} />
      <EffectiveAccountsDrawer apiKey={explaining} onClose={() => setExplaining(null)} />
      <EditKeyAccessDialog apiKey={editing} onClose={() => setEditing(null)} />
      <KeySecretDialog secret={secret} gateway={gateway} onClose={() => setSecret(null)} />
      <ConfirmDialog
        open={Boolean(confirm)}
        title={confirm?.kind === 'revoke' ? `Revoke ${confirm.key.name}?` : `Regenerate ${confirm?.key.name ?? ''}?`}
        description={
          confirm?.kind === 'revoke'
            ? 'Clients using this key are refused from now on. This cannot be undone.'
            : 'The current secret stops working at once. You will see the new one a single time.'
        }
        confirmLabel={confirm?.kind === 'revoke' ? 'Revoke key' : 'Regenerate'}
        busy={mutations.revoke.isPending || mutations.regenerate.isPending}
        onClose={() => setConfirm(null)}
        onConfirm={confirmAction}
      />
    </>
  );
}
