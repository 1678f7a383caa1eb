'use client';
// Settings → Identity providers (identity-providers:manage): the OpenID Connect providers people
// sign in with (the redirect URI to register at each, a connection test, enable, edit, delete),
// and the local-login policy (who may still sign in with a password). Mappings are edited as JSON:
// a list of {claim, value, role?, groupId?, groupRole?, allowAdmin?}.
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import {
  LOCAL_LOGIN_POLICIES,
  type CreateIdentityProviderRequest,
  type IdentityMapping,
  type IdentityProviderDto,
  type LocalLoginPolicy,
} from '@codex-lb/shared';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { CopyButton } from '@/components/ui/copy-button';
import { Dialog } from '@/components/ui/dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { Field } from '@/components/ui/field';
import { Input, Select, Textarea } from '@/components/ui/input';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { useAuthSettings, useIdentityProviderMutations, useIdentityProviders } from '@/hooks/use-identity';
import { InvitationsPanel } from './invitations-panel';
import { useRoleOptions } from '@/hooks/use-role-options';
import { useUsers } from '@/hooks/use-users';
import { errorMessage } from '@/lib/api-client';

const POLICY_LABELS: Record<LocalLoginPolicy, string> = {
  everyone: 'Everyone may sign in with a password',
  admins: 'Only admins (users:manage or roles:manage) may sign in with a password',
  'break-glass': 'Only the break-glass accounts below may sign in with a password',
};

export function IdentityProvidersView() {
  const providers = useIdentityProviders();
  const { remove, test, update } = useIdentityProviderMutations();
  const [editing, setEditing] = useState<IdentityProviderDto | 'new' | null>(null);
  const [deleting, setDeleting] = useState<IdentityProviderDto | null>(null);
  const list = providers.data?.items ?? [];

  function runTest(provider: IdentityProviderDto) {
    test.mutate(provider.id, {
      onSuccess: (result) =>
        result.ok
          ? toast.success(`${provider.name}: ${result.discovery.message} ${result.credentials.message}`)
          : toast.error(`${provider.name}: ${result.discovery.message} ${result.credentials.message}`),
      onError: (error) => toast.error(errorMessage(error)),
    });
  }

  return (
    <>
      <PageHeader
        title="Identity providers"
        description="People sign in with your company's OpenID Connect provider; its groups decide their roles and groups here."
        actions={<Button onClick={() => setEditing('new')}>New provider</Button>}
      />
      <div className="space-y-6">
        <QueryState query={providers} feature="identity providers">
          {list.length === 0 ? (
            <EmptyState
              title="No identity providers"
              description="Add Okta, Entra ID, Google Workspace, Keycloak, Authentik or any OpenID Connect provider."
              action={<Button onClick={() => setEditing('new')}>New provider</Button>}
            />
          ) : (
            list.map((provider) => (
              <Card key={provider.id} data-testid={`identity-provider-${provider.slug}`}>
                <CardHeader
                  title={
                    <span className="flex items-center gap-2">
                      {provider.name}
                      <Badge tone={provider.enabled ? 'green' : 'neutral'}>
                        {provider.enabled ? 'enabled' : 'disabled'}
                      </Badge>
                    </span>
                  }
                  description={provider.issuer}
                  action={
                    <div className="flex flex-wrap gap-2">
                      <Button variant="outline" size="sm" busy={test.isPending} onClick={() => runTest(provider)}>
                        Test connection
                      </Button>
                      <Button
                        variant="outline"
                        size="sm"
                        onClick={() =>
                          update.mutate(
                            { id: provider.id, body: { enabled: !provider.enabled } },
                            { onError: (error) => toast.error(errorMessage(error)) },
                          )
                        }
                      >
                        {provider.enabled ? 'Disable' : 'Enable'}
                      </Button>
                      <Button variant="outline" size="sm" onClick={() => setEditing(provider)}>
                        Edit
                      </Button>
                      <Button
                        variant="outline"
                        size="sm"
                        aria-label={`Delete ${provider.name}`}
                        onClick={() => setDeleting(provider)}
                      >
                        Delete
                      </Button>
                    </div>
                  }
                />
                <CardBody className="space-y-2 text-sm text-zinc-700">
                  <div className="flex min-w-0 items-center gap-2">
                    <span className="shrink-0 text-zinc-500">Redirect URI</span>
                    <code className="truncate font-mono text-xs">{provider.redirectUri}</code>
                    <CopyButton text={provider.redirectUri} label="Copy redirect URI" />
                  </div>
                  <p>
                    Client <code className="text-xs">{provider.clientId}</code>
                    {provider.hasClientSecret ? ' with a stored secret' : ' (public client)'} · scopes{' '}
                    {provider.scopes.join(' ')} · new people:{' '}
                    {provider.createUsers ? `created as ${provider.defaultRole}` : 'by invitation only'}
                    {provider.allowedDomains.length ? ` · domains ${provider.allowedDomains.join(', ')}` : ''}
                    {provider.acceptAmrAsMfa ? ' · accepts the provider’s second factor' : ''}
                    {provider.scimExternalIdClaim
                      ? ` · directory users linked by the ${provider.scimExternalIdClaim} claim`
                      : ''}
                  </p>
                  <p className="text-zinc-500">
                    {provider.mappings.length === 0
                      ? 'No mappings: roles and groups stay as set here.'
                      : `${provider.mappings.length} mapping${provider.mappings.length === 1 ? '' : 's'} from claims to roles and groups, applied at every sign-in.`}
                  </p>
                  <InvitationsPanel providerId={provider.id} defaultRole={provider.defaultRole} />
                </CardBody>
              </Card>
            ))
          )}
        </QueryState>
        <LocalLoginCard />
      </div>
      {editing ? (
        <ProviderDialog provider={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete ${deleting?.name ?? ''}?`}
        description="People linked to it can no longer sign in with it; their accounts stay."
        confirmLabel="Delete provider"
        busy={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => setDeleting(null),
            onError: (error) => toast.error(errorMessage(error)),
          })
        }
      />
    </>
  );
}

function ProviderDialog({ provider, onClose }: { provider: IdentityProviderDto | null; onClose: () => void }) {
  const { create, update } = useIdentityProviderMutations();
  const roles = useRoleOptions();
  const [form, setForm] = useState({
    slug: provider?.slug ?? '',
    name: provider?.name ?? '',
    issuer: provider?.issuer ?? '',
    clientId: provider?.clientId ?? '',
    clientSecret: '',
    scopes: (provider?.scopes ?? ['openid', 'email', 'profile']).join(' '),
    allowedDomains: (provider?.allowedDomains ?? []).join(', '),
    createUsers: provider?.createUsers ?? false,
    defaultRole: provider?.defaultRole ?? 'user',
    acceptAmrAsMfa: provider?.acceptAmrAsMfa ?? false,
    scimExternalIdClaim: provider?.scimExternalIdClaim ?? '',
    mappings: JSON.stringify(provider?.mappings ?? [], null, 2),
  });
  const [error, setError] = useState<string>();
  const set = (patch: Partial<typeof form>) => setForm((current) => ({ ...current, ...patch }));
  const busy = create.isPending || update.isPending;

  function submit(event: FormEvent) {
    event.preventDefault();
    let mappings: IdentityMapping[];
    try {
      mappings = JSON.parse(form.mappings || '[]') as IdentityMapping[];
      if (!Array.isArray(mappings)) throw new Error();
    } catch {
      return setError(
        'Mappings must be a JSON list, e.g. [{"claim": "groups", "value": "engineering", "role": "user"}].',
      );
    }
    if (!form.slug.trim() || !form.name.trim() || !form.issuer.trim() || !form.clientId.trim()) {
      return setError('Slug, name, issuer and client id are required.');
    }
    const linkClaim = form.scimExternalIdClaim.trim();
    if (linkClaim && !/^[A-Za-z0-9_.:/-]{1,64}$/.test(linkClaim)) {
      return setError('The directory link claim is a claim name such as sub or oid (letters, digits, _ . : / -).');
    }
    setError(undefined);
    const body: CreateIdentityProviderRequest = {
      slug: form.slug.trim(),
      name: form.name.trim(),
      issuer: form.issuer.trim(),
      clientId: form.clientId.trim(),
      scopes: form.scopes.split(/\s+/).filter(Boolean),
      allowedDomains: form.allowedDomains.split(/[\s,]+/).filter(Boolean),
      createUsers: form.createUsers,
      defaultRole: form.defaultRole,
      acceptAmrAsMfa: form.acceptAmrAsMfa,
      scimExternalIdClaim: linkClaim || null,
      mappings,
      ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
    };
    const done = {
      onSuccess: () => {
        toast.success(provider ? 'Provider saved.' : 'Provider added. Register its redirect URI at the provider.');
        onClose();
      },
      onError: (failure: unknown) => setError(errorMessage(failure)),
    };
    if (provider) update.mutate({ id: provider.id, body }, done);
    else create.mutate(body, done);
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title={provider ? `Edit ${provider.name}` : 'New identity provider'}
      footer={
        <>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="identity-provider-form" busy={busy}>
            {provider ? 'Save' : 'Add provider'}
          </Button>
        </>
      }
    >
      <form id="identity-provider-form" onSubmit={submit} noValidate className="space-y-3">
        {error ? <Alert>{error}</Alert> : null}
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Slug" hint="In the redirect URI: lowercase letters, digits, dashes.">
            <Input name="slug" value={form.slug} onChange={(event) => set({ slug: event.target.value })} />
          </Field>
          <Field label="Name" hint="On the sign-in button.">
            <Input name="name" value={form.name} onChange={(event) => set({ name: event.target.value })} />
          </Field>
        </div>
        <Field label="Issuer URL" hint="Discovery is read from <issuer>/.well-known/openid-configuration.">
          <Input name="issuer" value={form.issuer} onChange={(event) => set({ issuer: event.target.value })} />
        </Field>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Client id">
            <Input name="clientId" value={form.clientId} onChange={(event) => set({ clientId: event.target.value })} />
          </Field>
          <Field
            label="Client secret"
            hint={provider?.hasClientSecret ? 'Stored. Type to replace it.' : 'Stored encrypted.'}
          >
            <Input
              name="clientSecret"
              type="password"
              autoComplete="off"
              value={form.clientSecret}
              onChange={(event) => set({ clientSecret: event.target.value })}
            />
          </Field>
        </div>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Scopes">
            <Input name="scopes" value={form.scopes} onChange={(event) => set({ scopes: event.target.value })} />
          </Field>
          <Field label="Allowed e-mail domains" hint="Empty: any verified address.">
            <Input
              name="allowedDomains"
              value={form.allowedDomains}
              onChange={(event) => set({ allowedDomains: event.target.value })}
            />
          </Field>
        </div>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Role of people created at first sign-in">
            <Select
              name="defaultRole"
              value={form.defaultRole}
              onChange={(event) => set({ defaultRole: event.target.value })}
            >
              {roles.map((role) => (
                <option key={role.slug} value={role.slug}>
                  {role.name}
                </option>
              ))}
            </Select>
          </Field>
          <div className="space-y-2 pt-6 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                name="createUsers"
                checked={form.createUsers}
                onChange={(event) => set({ createUsers: event.target.checked })}
              />
              Create people on their first sign-in
            </label>
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                name="acceptAmrAsMfa"
                checked={form.acceptAmrAsMfa}
                onChange={(event) => set({ acceptAmrAsMfa: event.target.checked })}
              />
              Accept the provider&apos;s second factor (amr)
            </label>
          </div>
        </div>
        <Field
          label="Directory link claim (SCIM externalId)"
          hint="The ID token claim equal to the externalId your directory sends over SCIM: sub at Okta, oid at Entra ID. A person the directory created is linked by it at their first sign-in. Empty: off."
        >
          <Input
            name="scimExternalIdClaim"
            placeholder="sub"
            value={form.scimExternalIdClaim}
            onChange={(event) => set({ scimExternalIdClaim: event.target.value })}
          />
        </Field>
        <Field
          label="Mappings (JSON)"
          hint='e.g. [{"claim": "groups", "value": "engineering", "role": "user", "groupId": "…", "groupRole": "member"}]; admin-level roles need "allowAdmin": true.'
        >
          <Textarea
            name="mappings"
            rows={5}
            className="font-mono text-xs"
            value={form.mappings}
            onChange={(event) => set({ mappings: event.target.value })}
          />
        </Field>
      </form>
    </Dialog>
  );
}

function LocalLoginCard() {
  const settings = useAuthSettings();
  const users = useUsers({ active: 'true', limit: 200 });
  const { updateAuthSettings } = useIdentityProviderMutations();
  const [policy, setPolicy] = useState<LocalLoginPolicy | null>(null);
  const [breakGlass, setBreakGlass] = useState<string[] | null>(null);
  const current = policy ?? settings.data?.localLogin ?? 'everyone';
  const chosen = breakGlass ?? settings.data?.breakGlassUserIds ?? [];

  function save() {
    updateAuthSettings.mutate(
      { localLogin: current, breakGlassUserIds: chosen },
      {
        onSuccess: () => {
          toast.success('Sign-in policy saved.');
          setPolicy(null);
          setBreakGlass(null);
        },
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  }

  return (
    <Card>
      <CardHeader
        title="Password sign-in"
        description="Who may still sign in with a dashboard password. /login?local=1 shows the password form to break-glass accounts."
      />
      <CardBody className="space-y-3 text-sm">
        <QueryState query={settings} feature="sign-in policy">
          <fieldset className="space-y-2">
            <legend className="sr-only">Local-login policy</legend>
            {LOCAL_LOGIN_POLICIES.map((value) => (
              <label key={value} className="flex items-center gap-2">
                <input
                  type="radio"
                  name="localLogin"
                  value={value}
                  checked={current === value}
                  onChange={() => setPolicy(value)}
                />
                {POLICY_LABELS[value]}
              </label>
            ))}
          </fieldset>
          {current === 'break-glass' ? (
            <div className="max-h-48 space-y-1 overflow-y-auto rounded-md border border-zinc-200 p-2">
              {(users.data?.items ?? []).map((user) => (
                <label key={user.id} className="flex items-center gap-2">
                  <input
                    type="checkbox"
                    checked={chosen.includes(user.id)}
                    onChange={(event) =>
                      setBreakGlass(event.target.checked ? [...chosen, user.id] : chosen.filter((id) => id !== user.id))
                    }
                  />
                  {user.username} <span className="text-zinc-400">({user.role})</span>
                </label>
              ))}
            </div>
          ) : null}
          <p className="text-zinc-500">
            Two-factor sign-in is required for: <strong>{settings.data?.mfaRequiredFor ?? 'off'}</strong>{' '}
            (CODEX_LB_MFA_REQUIRED).
          </p>
          <Button onClick={save} busy={updateAuthSettings.isPending}>
            Save policy
          </Button>
        </QueryState>
      </CardBody>
    </Card>
  );
}
