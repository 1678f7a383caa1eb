'use client';
import { useState, type FormEvent } from 'react';
import { apiKeyStatus } from '@/components/api-keys/api-key-status';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { QueryState } from '@/components/ui/query-state';
import { useServiceAccountKeys, useServiceAccountMutations } from '@/hooks/use-service-accounts';
import { errorMessage } from '@/lib/api-client';
import type { ServiceAccountDto } from '@/lib/api/service-accounts';
import { formatRelative } from '@/lib/format';
import type { ApiKeySecretResponse } from '@codex-lb/shared';
import { serviceAccountActive } from './service-account-form';

/** A service account's keys, and a form for a new one (its secret then shows once). */
export function ServiceAccountKeysDrawer({
  account,
  canWrite,
  onClose,
  onCreated,
}: {
  account: ServiceAccountDto | null;
  canWrite: boolean;
  onClose: () => void;
  onCreated: (secret: ApiKeySecretResponse) => void;
}) {
  const keys = useServiceAccountKeys(account?.id ?? null);
  const { createKey } = useServiceAccountMutations();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const active = account ? serviceAccountActive(account) : false;

  function close() {
    setName('');
    setError(null);
    createKey.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!account) return;
    const trimmed = name.trim();
    if (!trimmed) return setError('Name the key, such as the pipeline that will use it.');
    setError(null);
    createKey.mutate(
      { id: account.id, body: { name: trimmed } },
      {
        onSuccess: (secret) => {
          setName('');
          onCreated(secret);
        },
      },
    );
  }

  const list = keys.data?.items ?? [];
  return (
    <Dialog
      open={Boolean(account)}
      onClose={close}
      variant="side"
      title={account ? `Keys of ${account.name}` : 'Keys'}
      description="Requests with these keys are logged under the service account."
    >
      <div className="space-y-5">
        {canWrite && active ? (
          <form
            onSubmit={submit}
            noValidate
            className="space-y-3 rounded-md border border-zinc-200 p-3"
            aria-label="New key"
          >
            {createKey.isError ? <Alert>{errorMessage(createKey.error)}</Alert> : null}
            <Field label="Key name" error={error}>
              <Input
                value={name}
                autoComplete="off"
                placeholder="deploy pipeline"
                onChange={(e) => setName(e.target.value)}
              />
            </Field>
            <div className="flex justify-end">
              <Button type="submit" size="sm" busy={createKey.isPending}>
                Create key
              </Button>
            </div>
          </form>
        ) : null}
        {!active && account ? <Alert tone="warning">Disabled: its keys are refused.</Alert> : null}
        <QueryState query={keys} feature="Keys">
          {list.length === 0 ? (
            <p className="text-sm text-zinc-500">No keys yet.</p>
          ) : (
            <ul
              className="divide-y divide-zinc-100 rounded-md border border-zinc-200"
              aria-label="Service account keys"
            >
              {list.map((key) => {
                const status = apiKeyStatus(key);
                return (
                  <li key={key.id} className="flex items-center justify-between gap-3 px-3 py-2.5">
                    <div className="min-w-0">
                      <div className="truncate font-medium text-zinc-900">{key.name}</div>
                      <div className="font-mono text-xs text-zinc-500">
                        {key.prefix}… · used {key.lastUsedAt ? formatRelative(key.lastUsedAt) : 'never'}
                      </div>
                    </div>
                    <Badge tone={status.tone}>{status.label}</Badge>
                  </li>
                );
              })}
            </ul>
          )}
        </QueryState>
      </div>
    </Dialog>
  );
}
