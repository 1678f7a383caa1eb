'use client';
// The Settings page's pointer to SCIM provisioning, for those who manage SCIM tokens.
import Link from 'next/link';
import { useCan } from '@/components/session-provider';
import { buttonClasses } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';

export function ScimSettingsCard() {
  const canManage = useCan('scim-tokens:manage');
  if (!canManage) return null;
  return (
    <Card>
      <CardHeader
        title="Company directory (SCIM)"
        description="Let your directory create, update and deactivate users and push group membership."
      />
      <CardBody>
        <Link href="/settings/scim" className={buttonClasses('outline', 'sm')}>
          Manage SCIM tokens
        </Link>
      </CardBody>
    </Card>
  );
}
