'use client';
import { toast } from 'sonner';
import { ChangePasswordForm } from '@/components/auth/change-password-form';
import { SignOutButton } from '@/components/layout/sign-out-button';
import { LinkedIdentitiesCard } from '@/components/identity/linked-identities-card';
import { ScimSettingsCard } from '@/components/scim/scim-settings-card';
import { SecurityCard } from '@/components/security/security-card';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { Badge } from '@/components/ui/badge';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { CopyButton } from '@/components/ui/copy-button';
import { PageHeader } from '@/components/ui/page-header';
import { roleTone } from '@/lib/permissions';

export function SettingsView() {
  const session = useCurrentSession();
  const { user } = session;
  const canChangeProfile = useCan('profile:write');
  // Someone the directory or a first provider sign-in created has no password to change.
  const canChangePassword = canChangeProfile && session.hasPassword !== false;
  return (
    <>
      <PageHeader title="Settings" description="Your dashboard account." />
      <div className="grid items-start gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Profile" />
          <CardBody className="space-y-4">
            <dl className="grid grid-cols-[7rem_1fr] gap-y-2 text-sm">
              <dt className="text-zinc-500">Username</dt>
              <dd className="font-medium">{user.username}</dd>
              <dt className="text-zinc-500">Role</dt>
              <dd>
                <Badge tone={roleTone(session)}>{user.role}</Badge>
              </dd>
              <dt className="text-zinc-500">User id</dt>
              <dd className="flex min-w-0 items-center gap-2">
                <code className="truncate font-mono text-xs" data-testid="user-id">
                  {user.id}
                </code>
                <CopyButton text={user.id} label="Copy user id" />
              </dd>
            </dl>
            <p className="text-sm text-zinc-500">A group owner adds you to their group with your user id.</p>
            <p className="text-sm text-zinc-500">Signing out ends this browser&apos;s session only.</p>
            <SignOutButton />
          </CardBody>
        </Card>
        <SecurityCard />
        {canChangeProfile ? <LinkedIdentitiesCard /> : null}
        <ScimSettingsCard />
        {canChangePassword ? (
          <Card>
            <CardHeader title="Change password" description="Your other signed-in browsers will be signed out." />
            <CardBody>
              <ChangePasswordForm
                onChanged={() => toast.success('Password changed. Other sessions were signed out.')}
              />
            </CardBody>
          </Card>
        ) : null}
      </div>
    </>
  );
}
