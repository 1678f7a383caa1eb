'use client';
import { ActionMenu } from '@/components/ui/action-menu';
import { Badge } from '@/components/ui/badge';
import { Td } from '@/components/ui/table';
import { formatDate, formatDateTime, formatRelative } from '@/lib/format';
import type { ApiKeyDto } from '@codex-lb/shared';
import { ApiKeyLimits } from './api-key-limits';
import { apiKeyStatus } from './api-key-status';

export interface ApiKeyRowActions {
  regenerate: (key: ApiKeyDto) => void;
  revoke: (key: ApiKeyDto) => void;
  toggleActive: (key: ApiKeyDto) => void;
  explain: (key: ApiKeyDto) => void;
  editAccess?: (key: ApiKeyDto) => void;
}

export function ApiKeyRow({
  apiKey,
  showOwner,
  actions,
  groupNames,
  writable,
}: {
  apiKey: ApiKeyDto;
  showOwner: boolean;
  actions: ApiKeyRowActions;
  groupNames: ReadonlyMap<string, string>;
  /** api-keys:write and the caller's own key (or owners:all); keys seen through a group are read-only. */
  writable: boolean;
}) {
  const status = apiKeyStatus(apiKey);
  const revoked = Boolean(apiKey.revokedAt);
  const scope = [
    apiKey.allowedModels.length ? `Models: ${apiKey.allowedModels.join(', ')}` : 'All models',
    // A restricted key whose accounts were all removed can use none, not all.
    apiKey.accountsRestricted
      ? `${apiKey.accountIds.length} account${apiKey.accountIds.length === 1 ? '' : 's'}`
      : 'All accounts',
  ].join(' · ');
  const groups = (apiKey.groupIds ?? []).map((id) => groupNames.get(id) ?? 'a group');
  const management = (apiKey.scopes ?? []).filter((scope) => scope !== 'proxy');
  return (
    <tr className={revoked ? 'text-zinc-400' : undefined}>
      <Td>
        <div className="font-medium text-zinc-900">{apiKey.name}</div>
        <div className="font-mono text-xs text-zinc-500">{apiKey.prefix}…</div>
        <div className="mt-0.5 max-w-64 text-xs text-zinc-500">{scope}</div>
        {groups.length ? <div className="max-w-64 text-xs text-zinc-500">Groups: {groups.join(', ')}</div> : null}
        {management.length ? (
          <div className="max-w-64 text-xs text-zinc-500">API scopes: {management.join(', ')}</div>
        ) : null}
      </Td>
      {showOwner ? <Td className="text-zinc-700">{apiKey.ownerUsername}</Td> : null}
      <Td>
        <Badge tone={status.tone}>{status.label}</Badge>
        {apiKey.expiresAt && !revoked ? (
          <div className="mt-0.5 text-xs text-zinc-500">expires {formatDate(apiKey.expiresAt)}</div>
        ) : null}
      </Td>
      <Td>
        <ApiKeyLimits limits={apiKey.limits} />
      </Td>
      <Td className="text-zinc-600" title={formatDateTime(apiKey.lastUsedAt)}>
        {apiKey.lastUsedAt ? formatRelative(apiKey.lastUsedAt) : 'never'}
      </Td>
      <Td className="text-zinc-600">{formatDate(apiKey.createdAt)}</Td>
      <Td className="text-right">
        {revoked ? null : (
          <ActionMenu
            label={`Actions for key ${apiKey.name}`}
            items={[
              { label: 'Accounts it may use', onSelect: () => actions.explain(apiKey) },
              {
                label: 'Groups and scopes',
                onSelect: () => actions.editAccess?.(apiKey),
                hidden: !writable || !actions.editAccess,
              },
              {
                label: apiKey.isActive ? 'Disable' : 'Enable',
                onSelect: () => actions.toggleActive(apiKey),
                hidden: !writable,
              },
              { label: 'Regenerate secret', onSelect: () => actions.regenerate(apiKey), hidden: !writable },
              { label: 'Revoke', onSelect: () => actions.revoke(apiKey), danger: true, hidden: !writable },
            ]}
          />
        )}
      </Td>
    </tr>
  );
}
