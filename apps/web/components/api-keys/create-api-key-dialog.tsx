'use client';
import { useState, type FormEvent } from 'react';
import { accountName } from '@/components/accounts/account-status-badge';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useAccounts } from '@/hooks/use-accounts';
import { useApiKeyMutations } from '@/hooks/use-api-keys';
import { errorMessage } from '@/lib/api-client';
import type { ApiKeySecretResponse } from '@codex-lb/shared';
import { emptyApiKeyDraft, parseApiKeyDraft, type ApiKeyDraft, type ApiKeyFormErrors } from './api-key-form';
import { emptyKeyAccessDraft, scopesFromDraft, type KeyAccessDraft } from './key-access';
import { KeyAccessFields } from './key-access-fields';
import { LimitsEditor } from './limits-editor';

export function CreateApiKeyDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (secret: ApiKeySecretResponse) => void;
}) {
  const { create } = useApiKeyMutations();
  const session = useCurrentSession();
  // A key is served by its owner's accounts only; admins would otherwise see everyone's here.
  const accounts = useAccounts(useCan('owners:all') ? session.user.id : undefined);
  const [draft, setDraft] = useState<ApiKeyDraft>(emptyApiKeyDraft);
  const [errors, setErrors] = useState<ApiKeyFormErrors>({ limits: {} });
  const [access, setAccess] = useState<KeyAccessDraft>(emptyKeyAccessDraft);
  const [accessError, setAccessError] = useState<string>();
  const set = (patch: Partial<ApiKeyDraft>) => setDraft((current) => ({ ...current, ...patch }));

  function close() {
    setDraft(emptyApiKeyDraft());
    setErrors({ limits: {} });
    setAccess(emptyKeyAccessDraft());
    setAccessError(undefined);
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseApiKeyDraft(draft);
    const scopes = scopesFromDraft(access);
    setAccessError(scopes.ok ? undefined : scopes.error);
    if (!parsed.ok) return setErrors(parsed.errors);
    setErrors({ limits: {} });
    if (!scopes.ok) return;
    const request = {
      ...parsed.request,
      ...(access.groupIds.length ? { groupIds: access.groupIds } : {}),
      ...(scopes.scopes.join() !== 'proxy' ? { scopes: scopes.scopes } : {}),
    };
    create.mutate(request, {
      onSuccess: (secret) => {
        close();
        onCreated(secret);
      },
    });
  }

  const toggleAccount = (id: string) =>
    set({
      accountIds: draft.accountIds.includes(id) ? draft.accountIds.filter((a) => a !== id) : [...draft.accountIds, id],
    });

  return (
    <Dialog
      open={open}
      onClose={close}
      title="New API key"
      description="Use one key per tool or machine so you can revoke it alone."
    >
      <form onSubmit={submit} noValidate className="space-y-5" aria-label="New API key">
        {create.isError ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Field label="Name" error={errors.name}>
          <Input
            value={draft.name}
            onChange={(e) => set({ name: e.target.value })}
            placeholder="laptop codex"
            autoComplete="off"
          />
        </Field>
        <Field label="Expires on" hint="Optional. Leave empty for a key that does not expire." error={errors.expiresOn}>
          <Input type="date" value={draft.expiresOn} onChange={(e) => set({ expiresOn: e.target.value })} />
        </Field>
        <Field label="Allowed models" hint="Optional. Comma-separated, e.g. gpt-5-codex, gpt-5. Empty: every model.">
          <Input
            value={draft.allowedModels}
            onChange={(e) => set({ allowedModels: e.target.value })}
            autoComplete="off"
          />
        </Field>
        <fieldset>
          <legend className="text-sm font-medium text-zinc-800">Accounts this key may use</legend>
          <p className="mb-2 text-xs text-zinc-500">Optional. None ticked: all of your accounts.</p>
          {accounts.data?.length ? (
            <div className="max-h-40 space-y-1 overflow-y-auto rounded-md border border-zinc-200 p-2">
              {accounts.data.map((account) => (
                <label key={account.id} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    className="size-4"
                    checked={draft.accountIds.includes(account.id)}
                    onChange={() => toggleAccount(account.id)}
                  />
                  <span>{accountName(account)}</span>
                </label>
              ))}
            </div>
          ) : (
            <p className="text-sm text-zinc-500">
              {accounts.isPending ? 'Loading accounts…' : 'No accounts to choose from yet.'}
            </p>
          )}
        </fieldset>
        <KeyAccessFields draft={access} error={accessError} onChange={setAccess} />
        <LimitsEditor limits={draft.limits} errors={errors.limits} onChange={(limits) => set({ limits })} />
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create key
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
