'use client';
import { useState } from 'react';
import { apiKeyStatus } from '@/components/api-keys/api-key-status';
import { EffectiveAccountsDrawer } from '@/components/api-keys/effective-accounts-drawer';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardHeader } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { QueryState } from '@/components/ui/query-state';
import { Table, Td, Th } from '@/components/ui/table';
import { useApiKeys } from '@/hooks/use-api-keys';
import type { ApiKeyDto } from '@codex-lb/shared';
import type { GroupDto } from '@codex-lb/shared';
import { formatRelative } from '@/lib/format';

/** Keys attached to the group (the caller sees its members' keys through the group). */
export function GroupKeysCard({ group }: { group: GroupDto }) {
  const keys = useApiKeys();
  const [explaining, setExplaining] = useState<ApiKeyDto | null>(null);
  const attached = (keys.data ?? []).filter((key) => key.groupIds?.includes(group.id) && !key.revokedAt);
  return (
    <Card>
      <CardHeader title="Keys" description="API keys attached to this group draw on its pool." />
      <QueryState query={keys} feature="API keys">
        {attached.length === 0 ? (
          <EmptyState
            className="m-4"
            title="No keys attached yet"
            description="When creating or editing a key on the API keys page, tick this group."
          />
        ) : (
          <Table aria-label="Keys">
            <thead>
              <tr>
                <Th>Key</Th>
                <Th>Owner</Th>
                <Th>Status</Th>
                <Th>Last used</Th>
                <Th className="text-right">
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {attached.map((key) => {
                const status = apiKeyStatus(key);
                return (
                  <tr key={key.id}>
                    <Td>
                      <div className="font-medium text-zinc-900">{key.name}</div>
                      <div className="font-mono text-xs text-zinc-500">{key.prefix}…</div>
                    </Td>
                    <Td className="text-zinc-700">{key.ownerUsername}</Td>
                    <Td>
                      <Badge tone={status.tone}>{status.label}</Badge>
                    </Td>
                    <Td className="text-zinc-600">{key.lastUsedAt ? formatRelative(key.lastUsedAt) : 'never'}</Td>
                    <Td className="text-right">
                      <Button size="sm" variant="outline" onClick={() => setExplaining(key)}>
                        Accounts
                      </Button>
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </QueryState>
      <EffectiveAccountsDrawer apiKey={explaining} onClose={() => setExplaining(null)} />
    </Card>
  );
}
