'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useApiKeyMutations } from '@/hooks/use-api-keys';
import { errorMessage } from '@/lib/api-client';
import type { ApiKeyDto } from '@codex-lb/shared';
import { emptyKeyAccessDraft, keyAccessDraftFrom, scopesFromDraft, type KeyAccessDraft } from './key-access';
import { KeyAccessFields } from './key-access-fields';

/** Changes which groups a key draws on and what it may do; the secret stays the same. */
export function EditKeyAccessDialog({ apiKey, onClose }: { apiKey: ApiKeyDto | null; onClose: () => void }) {
  const { update } = useApiKeyMutations();
  const [draft, setDraft] = useState<KeyAccessDraft>(emptyKeyAccessDraft);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (apiKey) setDraft(keyAccessDraftFrom(apiKey));
  }, [apiKey]);

  function close() {
    setError(undefined);
    update.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!apiKey) return;
    const scopes = scopesFromDraft(draft);
    if (!scopes.ok) return setError(scopes.error);
    setError(undefined);
    update.mutate(
      { id: apiKey.id, body: { groupIds: draft.groupIds, scopes: scopes.scopes } },
      {
        onSuccess: () => {
          toast.success(`${apiKey.name} updated.`);
          close();
        },
      },
    );
  }

  return (
    <Dialog
      open={Boolean(apiKey)}
      onClose={close}
      title={`Groups and scopes of ${apiKey?.name ?? ''}`}
      description="Takes effect on the key's next request."
    >
      <form onSubmit={submit} noValidate className="space-y-5" aria-label="Groups and scopes">
        {update.isError ? <Alert>{errorMessage(update.error)}</Alert> : null}
        <KeyAccessFields draft={draft} error={error} onChange={setDraft} />
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={update.isPending}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
