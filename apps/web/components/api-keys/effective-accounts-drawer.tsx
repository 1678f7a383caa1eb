'use client';
// The effective-pool explainer: account by account, whether a key may use it, through what (its
// owner's own account, a group's account, an account shared into a group) and, if not, why.
import { accountName } from '@/components/accounts/account-status-badge';
import { describeReason, describeVia } from '@/components/groups/group-access';
import { Badge } from '@/components/ui/badge';
import { Dialog } from '@/components/ui/dialog';
import { EmptyState } from '@/components/ui/empty-state';
import { QueryState } from '@/components/ui/query-state';
import { useAccounts } from '@/hooks/use-accounts';
import { useEffectiveAccounts } from '@/hooks/use-api-keys';
import { useGroups } from '@/hooks/use-groups';
import type { ApiKeyDto } from '@codex-lb/shared';
import { apiKeyAccessSummary } from './key-access';

export function EffectiveAccountsDrawer({ apiKey, onClose }: { apiKey: ApiKeyDto | null; onClose: () => void }) {
  const effective = useEffectiveAccounts(apiKey?.id ?? null);
  const groups = useGroups({ enabled: Boolean(apiKey) });
  const accounts = useAccounts();
  const groupNames = new Map((groups.data?.items ?? []).map((group) => [group.id, group.name]));
  const accountLabels = new Map((accounts.data ?? []).map((account) => [account.id, accountName(account)]));
  const items = [...(effective.data?.items ?? [])].sort((a, b) => Number(b.usable) - Number(a.usable));
  const usable = items.filter((item) => item.usable).length;

  return (
    <Dialog
      open={Boolean(apiKey)}
      onClose={onClose}
      variant="side"
      title={apiKey ? `Accounts for ${apiKey.name}` : 'Accounts'}
      description={apiKey ? apiKeyAccessSummary(apiKey, groupNames) : undefined}
    >
      <QueryState query={effective} feature="Effective accounts">
        {items.length === 0 ? (
          <EmptyState
            title="No account can serve this key"
            description="Add an account, share one into a group the key is attached to, or widen the key's account list."
          />
        ) : (
          <div className="space-y-3">
            <p className="text-sm text-zinc-600" data-testid="effective-summary">
              {usable} of {items.length} account{items.length === 1 ? '' : 's'} can serve requests made with this key
              now.
            </p>
            <ul className="divide-y divide-zinc-100 rounded-md border border-zinc-200" aria-label="Effective accounts">
              {items.map((item) => (
                <li key={item.accountId} className="flex items-start justify-between gap-3 px-3 py-2.5">
                  <div className="min-w-0">
                    <div className="truncate font-medium text-zinc-900">
                      {item.label ?? accountLabels.get(item.accountId) ?? item.accountId}
                    </div>
                    <div className="text-xs text-zinc-600">{describeVia(item.via, groupNames)}</div>
                    {!item.usable && item.reason ? (
                      <div className="text-xs text-amber-800">{describeReason(item.reason, groupNames)}</div>
                    ) : null}
                  </div>
                  <Badge tone={item.usable ? 'green' : 'neutral'}>{item.usable ? 'Usable' : 'Not used'}</Badge>
                </li>
              ))}
            </ul>
          </div>
        )}
      </QueryState>
    </Dialog>
  );
}
