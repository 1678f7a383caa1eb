'use client';
import Link from 'next/link';
import type { DashboardOverviewResponse } from '@codex-lb/shared';
import type { UseQueryResult } from '@tanstack/react-query';
import { AccountStatusBadge, accountName } from '@/components/accounts/account-status-badge';
import { useCan } from '@/components/session-provider';
import { buttonClasses } from '@/components/ui/button';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { QueryState } from '@/components/ui/query-state';
import { QuotaBar } from '@/components/ui/quota-bar';

/** Each account's 5-hour and weekly windows, from the overview answer (already owner-scoped). */
export function AccountQuotas({ overview }: { overview: UseQueryResult<DashboardOverviewResponse> }) {
  const list = overview.data?.accounts ?? [];
  const canAdd = useCan('accounts:write');
  return (
    <Card>
      <CardHeader
        title="Account quotas"
        description="5-hour and weekly windows reported by ChatGPT."
        action={
          <Link href="/accounts" className="text-sm font-medium text-indigo-700 hover:underline">
            All accounts
          </Link>
        }
      />
      <CardBody>
        <QueryState query={overview} feature="Overview">
          {list.length === 0 ? (
            <EmptyState
              title="No accounts in the pool"
              description={
                canAdd
                  ? 'Add a ChatGPT account so your API keys have something to run on.'
                  : 'Nobody has added a ChatGPT account you can see yet.'
              }
              action={
                canAdd ? (
                  <Link href="/accounts" className={buttonClasses('primary', 'sm')}>
                    Add an account
                  </Link>
                ) : undefined
              }
            />
          ) : (
            <ul className="divide-y divide-zinc-100">
              {list.map((account) => (
                <li
                  key={account.id}
                  className="grid gap-3 py-3 first:pt-0 last:pb-0 sm:grid-cols-[minmax(0,1fr)_10rem_10rem] sm:items-center"
                >
                  <div className="min-w-0">
                    <p className="truncate text-sm font-medium">{accountName(account)}</p>
                    <div className="mt-0.5">
                      <AccountStatusBadge account={account} />
                    </div>
                  </div>
                  <QuotaBar
                    label="5 hours"
                    usedPercent={account.primaryWindow?.usedPercent}
                    resetsAt={account.primaryWindow?.resetsAt}
                  />
                  <QuotaBar
                    label="Weekly"
                    usedPercent={account.secondaryWindow?.usedPercent}
                    resetsAt={account.secondaryWindow?.resetsAt}
                  />
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </CardBody>
    </Card>
  );
}
