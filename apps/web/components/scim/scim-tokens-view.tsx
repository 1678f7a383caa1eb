'use client';
// Settings → SCIM provisioning (scim-tokens:manage): the base URL a company directory is given,
// its tokens (name, prefix, creator, last use), creating one (shown once) and revoking one.
import { useEffect, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { SCIM_TOKEN_NAME_MAX_LENGTH, type CreatedScimTokenDto, type ScimTokenDto } from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { CopyButton } from '@/components/ui/copy-button';
import { Dialog } from '@/components/ui/dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useScimTokenMutations, useScimTokens } from '@/hooks/use-scim-tokens';
import { errorMessage } from '@/lib/api-client';
import { defaultGatewayUrl, type GatewayHint } from '@/lib/client-snippets';
import { formatDateTime, formatRelative } from '@/lib/format';

export function ScimTokensView({ gateway }: { gateway: GatewayHint }) {
  const tokens = useScimTokens();
  const { revoke } = useScimTokenMutations();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedScimTokenDto | null>(null);
  const [revoking, setRevoking] = useState<ScimTokenDto | null>(null);
  const [baseUrl, setBaseUrl] = useState('');
  useEffect(() => setBaseUrl(`${defaultGatewayUrl(gateway, window.location)}/scim/v2`), [gateway]);
  const list = tokens.data?.items ?? [];

  function confirmRevoke() {
    if (!revoking) return;
    const token = revoking;
    revoke.mutate(token.id, {
      onSuccess: () => {
        toast.success(`${token.name} revoked.`);
        setRevoking(null);
      },
      onError: (error) => toast.error(errorMessage(error)),
    });
  }

  return (
    <>
      <PageHeader
        title="SCIM provisioning"
        description="Your company directory creates, updates and deactivates users and pushes group membership."
        actions={<Button onClick={() => setCreating(true)}>New SCIM token</Button>}
      />
      <div className="space-y-6">
        <Card>
          <CardHeader title="Directory settings" />
          <CardBody className="space-y-3 text-sm text-zinc-700">
            <div className="flex min-w-0 items-center gap-2">
              <span className="shrink-0 text-zinc-500">Base URL</span>
              <code className="truncate font-mono text-xs" data-testid="scim-base-url">
                {baseUrl}
              </code>
              {baseUrl ? <CopyButton text={baseUrl} label="Copy SCIM base URL" /> : null}
            </div>
            <p>
              Authentication: HTTP header, bearer token. People the directory creates get the{' '}
              <code className="text-xs">user</code> role and sign in through your identity provider; setting them
              inactive ends their sessions and refuses their API keys at once.
            </p>
          </CardBody>
        </Card>
        <QueryState query={tokens} feature="SCIM tokens">
          {list.length === 0 ? (
            <EmptyState
              title="No SCIM tokens"
              description="Create a token and paste it, with the base URL above, into your directory's provisioning settings."
              action={<Button onClick={() => setCreating(true)}>New SCIM token</Button>}
            />
          ) : (
            <Card>
              <Table>
                <thead>
                  <tr>
                    <Th>Name</Th>
                    <Th>Token</Th>
                    <Th>Created</Th>
                    <Th>Last used</Th>
                    <Th className="text-right">
                      <span className="sr-only">Actions</span>
                    </Th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((token) => (
                    <tr key={token.id} data-testid={`scim-token-${token.id}`}>
                      <Td className="font-medium text-zinc-900">{token.name}</Td>
                      <Td>
                        <code className="font-mono text-xs text-zinc-600">{token.prefix}…</code>
                      </Td>
                      <Td className="text-zinc-600">
                        {formatDateTime(token.createdAt)}
                        {token.createdBy ? <span className="text-zinc-400"> by {token.createdBy.username}</span> : null}
                      </Td>
                      <Td className="text-zinc-600">{token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'never'}</Td>
                      <Td className="text-right">
                        <Button
                          variant="outline"
                          size="sm"
                          aria-label={`Revoke ${token.name}`}
                          onClick={() => setRevoking(token)}
                        >
                          Revoke
                        </Button>
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </Card>
          )}
        </QueryState>
      </div>

      <CreateScimTokenDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(token) => {
          setCreating(false);
          setCreated(token);
        }}
      />
      <Dialog
        open={Boolean(created)}
        onClose={() => setCreated(null)}
        title={`Your new SCIM token: ${created?.name ?? ''}`}
        footer={<Button onClick={() => setCreated(null)}>I have saved the token</Button>}
      >
        {created ? (
          <div className="space-y-4">
            <Alert tone="warning" title="Copy it now">
              This is the only time the token is shown. If you lose it, revoke it and create another.
            </Alert>
            <div className="flex items-center gap-2">
              <code
                className="min-w-0 flex-1 overflow-x-auto rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 font-mono text-sm whitespace-nowrap"
                data-testid="scim-token-secret"
              >
                {created.token}
              </code>
              <CopyButton text={created.token} label="Copy token" size="md" variant="primary" />
            </div>
          </div>
        ) : null}
      </Dialog>
      <ConfirmDialog
        open={Boolean(revoking)}
        title={`Revoke ${revoking?.name ?? ''}?`}
        description="The directory using this token is refused from its next request. This cannot be undone."
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        onClose={() => setRevoking(null)}
        onConfirm={confirmRevoke}
      />
    </>
  );
}

function CreateScimTokenDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (token: CreatedScimTokenDto) => void;
}) {
  const { create } = useScimTokenMutations();
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();

  function close() {
    setName('');
    setError(undefined);
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setError('Name the directory that will use it.');
    if (trimmed.length > SCIM_TOKEN_NAME_MAX_LENGTH) {
      return setError(`At most ${SCIM_TOKEN_NAME_MAX_LENGTH} characters.`);
    }
    setError(undefined);
    create.mutate(
      { name: trimmed },
      {
        onSuccess: (token) => {
          setName('');
          create.reset();
          onCreated(token);
        },
      },
    );
  }

  return (
    <Dialog open={open} onClose={close} title="New SCIM token" description="One token per directory is usual.">
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="New SCIM token">
        {create.isError ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Field label="Name" error={error}>
          <Input value={name} autoComplete="off" placeholder="Okta" onChange={(event) => setName(event.target.value)} />
        </Field>
        <div className="flex justify-end gap-2 border-t border-zinc-100 pt-4">
          <Button variant="outline" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create token
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
