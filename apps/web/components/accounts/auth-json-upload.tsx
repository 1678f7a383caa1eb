'use client';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useAccountMutations } from '@/hooks/use-accounts';
import { errorMessage } from '@/lib/api-client';
import { accountName } from './account-status-badge';

const MAX_BYTES = 256 * 1024;

export function AuthJsonUpload({ onDone }: { onDone: () => void }) {
  const { importAuthJson } = useAccountMutations();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string>();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return setError('Choose the auth.json file first.');
    if (file.size > MAX_BYTES) return setError('That file is too large to be a Codex auth.json.');
    setError(undefined);
    importAuthJson.mutate(file, {
      onSuccess: (account) => {
        toast.success(`Imported ${accountName(account)}.`);
        onDone();
      },
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <p className="text-sm text-zinc-600">
        Upload the <code className="rounded bg-zinc-100 px-1">auth.json</code> that Codex CLI wrote after{' '}
        <code className="rounded bg-zinc-100 px-1">codex login</code> (usually{' '}
        <code className="rounded bg-zinc-100 px-1">~/.codex/auth.json</code>). Its tokens are stored encrypted.
      </p>
      {importAuthJson.isError ? <Alert>{errorMessage(importAuthJson.error)}</Alert> : null}
      <Field label="auth.json file" error={error}>
        <Input
          type="file"
          accept="application/json,.json"
          controlSize="auto"
          className="py-2 file:mr-3 file:rounded file:border-0 file:bg-zinc-100 file:px-2 file:py-1 file:text-sm"
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
      </Field>
      <Button type="submit" busy={importAuthJson.isPending}>
        Import account
      </Button>
    </form>
  );
}
