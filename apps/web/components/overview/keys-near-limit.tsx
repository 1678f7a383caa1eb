'use client';
import Link from 'next/link';
import type { DashboardOverviewResponse } from '@codex-lb/shared';
import type { UseQueryResult } from '@tanstack/react-query';
import { limitLabel } from '@/components/api-keys/api-key-limits';
import { useCan } from '@/components/session-provider';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { QueryState } from '@/components/ui/query-state';
import { QuotaBar } from '@/components/ui/quota-bar';

/** The API already ranks active keys by their most-used limit and keeps the top few. */
export function KeysNearLimit({ overview }: { overview: UseQueryResult<DashboardOverviewResponse> }) {
  const seesAllOwners = useCan('owners:all');
  const keys = overview.data?.keysNearLimit ?? [];
  return (
    <Card>
      <CardHeader
        title="Keys nearest their limits"
        action={
          <Link href="/api-keys" className="text-sm font-medium text-indigo-700 hover:underline">
            All keys
          </Link>
        }
      />
      <CardBody>
        <QueryState query={overview} feature="Overview">
          {keys.length === 0 ? (
            <p className="text-sm text-zinc-500">
              No active key has a limit yet. Add limits when you create a key to cap its spend.
            </p>
          ) : (
            <ul className="space-y-4">
              {keys.map((key) => (
                <li key={`${key.apiKeyId}:${key.kind}:${key.window}:${key.model ?? ''}`}>
                  <p className="mb-1 text-sm font-medium">
                    {key.name}
                    {seesAllOwners ? <span className="font-normal text-zinc-500"> · {key.ownerUsername}</span> : null}
                  </p>
                  <QuotaBar
                    className="w-full max-w-72"
                    label={limitLabel(key)}
                    usedPercent={key.usedPercent}
                    resetsAt={key.resetsAt}
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
