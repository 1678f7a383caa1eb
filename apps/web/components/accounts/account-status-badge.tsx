import { Badge, type BadgeTone } from '@/components/ui/badge';
import { formatRelative } from '@/lib/format';
import type { AccountDto, AccountStatusValue as AccountStatus } from '@codex-lb/shared';

const STATUS: Record<AccountStatus, { label: string; tone: BadgeTone }> = {
  active: { label: 'Active', tone: 'green' },
  paused: { label: 'Paused', tone: 'neutral' },
  rate_limited: { label: 'Rate limited', tone: 'amber' },
  quota_exceeded: { label: 'Quota used up', tone: 'amber' },
  reauth_required: { label: 'Sign in again', tone: 'red' },
  deactivated: { label: 'Deactivated', tone: 'red' },
};

export function AccountStatusBadge({
  account,
}: {
  account: Pick<AccountDto, 'status' | 'statusReason' | 'cooldownUntil'>;
}) {
  const status = STATUS[account.status] ?? { label: account.status, tone: 'neutral' as const };
  const detail =
    account.cooldownUntil && new Date(account.cooldownUntil).getTime() > Date.now()
      ? `cools down ${formatRelative(account.cooldownUntil)}`
      : null;
  return (
    <div className="space-y-0.5">
      <Badge tone={status.tone}>{status.label}</Badge>
      {detail || account.statusReason ? (
        <p className="max-w-56 text-xs text-zinc-500">{[account.statusReason, detail].filter(Boolean).join(' · ')}</p>
      ) : null}
    </div>
  );
}

/** Alias, else email; the id token may carry no email, so the ChatGPT account id is the last resort. */
export function accountName(account: Pick<AccountDto, 'alias' | 'email' | 'chatgptAccountId'>): string {
  return account.alias?.trim() || account.email || `Account ${account.chatgptAccountId}`;
}
