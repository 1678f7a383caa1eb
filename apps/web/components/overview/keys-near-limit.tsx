'use client';
import Link from 'next/link';
import { ApiKeyLimits } from '@/components/api-keys/api-key-limits';
import { apiKeyStatus, tightestLimitPercent } from '@/components/api-keys/api-key-status';
import { Card, CardBody, CardHeader } from '@/components/ui/card';
import { QueryState } from '@/components/ui/query-state';
import { useApiKeys } from '@/hooks/use-api-keys';

const SHOWN = 5;

export function KeysNearLimit() {
  const keys = useApiKeys();
  const ranked = (keys.data ?? [])
    .filter((key) => apiKeyStatus(key).label === 'Active')
    .map((key) => ({ key, percent: tightestLimitPercent(key) }))
    .filter((entry): entry is { key: typeof entry.key; percent: number } => entry.percent !== null)
    .sort((a, b) => b.percent - a.percent)
    .slice(0, SHOWN);
  return (
    <Card>
      <CardHeader title="Keys nearest their limits" action={<Link href="/api-keys" className="text-sm font-medium text-indigo-700 hover:underline">All keys</Link>} />
      <CardBody>
        <QueryState query={keys} feature="API keys">
          {ranked.length === 0 ? (
            <p className="text-sm text-zinc-500">No active key has a limit with usage yet. Add limits when you create a key to cap its spend.</p>
          ) : (
            <ul className="space-y-4">
              {ranked.map(({ key }) => (
                <li key={key.id}>
                  <p className="mb-1 text-sm font-medium">{key.name}</p>
                  <ApiKeyLimits limits={key.limits} />
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </CardBody>
    </Card>
  );
}
