'use client';
// The groups a key draws on and what it may do: shared by the create and edit dialogs.
import { attachableGroups } from '@/components/groups/group-access';
import { useCan, useCurrentSession } from '@/components/session-provider';
import { useGroups } from '@/hooks/use-groups';
import { MANAGEMENT_SCOPES, toggle, type KeyAccessDraft } from './key-access';

export function KeyAccessFields({
  draft,
  error,
  onChange,
}: {
  draft: KeyAccessDraft;
  error?: string;
  onChange: (draft: KeyAccessDraft) => void;
}) {
  const readsGroups = useCan('groups:read');
  const groups = useGroups({ enabled: readsGroups });
  // A scope beyond the owner's own permissions would grant nothing, so it is not offered.
  const permissions = new Set<string>(useCurrentSession().permissions);
  // Attaching needs membership; a group the key already has stays listed so it can be removed.
  const choices = attachableGroups(groups.data?.items ?? []);
  const extra = (groups.data?.items ?? []).filter((g) => draft.groupIds.includes(g.id) && !choices.includes(g));
  const offered = [...choices, ...extra];

  return (
    <>
      {readsGroups ? (
        <fieldset>
          <legend className="text-sm font-medium text-zinc-800">Groups</legend>
          <p className="mb-2 text-xs text-zinc-500">
            Optional. The key also draws on the pool of each ticked group while you are a member or owner of it.
          </p>
          {offered.length ? (
            <div className="max-h-40 space-y-1 overflow-y-auto rounded-md border border-zinc-200 p-2">
              {offered.map((group) => (
                <label key={group.id} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    className="size-4"
                    checked={draft.groupIds.includes(group.id)}
                    onChange={() => onChange({ ...draft, groupIds: toggle(draft.groupIds, group.id) })}
                  />
                  <span>{group.name}</span>
                  <span className="font-mono text-xs text-zinc-500">{group.slug}</span>
                </label>
              ))}
            </div>
          ) : (
            <p className="text-sm text-zinc-500">
              {groups.isPending ? 'Loading groups…' : 'You are not a member of any group.'}
            </p>
          )}
        </fieldset>
      ) : null}
      <fieldset>
        <legend className="text-sm font-medium text-zinc-800">What the key may do</legend>
        <p className="mb-2 text-xs text-zinc-500">
          Management scopes let scripts call the dashboard API with this key; each works only while you have that
          permission yourself.
        </p>
        <div className="space-y-1 rounded-md border border-zinc-200 p-2">
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              className="size-4"
              checked={draft.proxy}
              onChange={() => onChange({ ...draft, proxy: !draft.proxy })}
            />
            <span>Proxy requests (Codex CLI, OpenAI clients)</span>
          </label>
          {MANAGEMENT_SCOPES.filter((s) => permissions.has(s.scope)).map((s) => (
            <label key={s.scope} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                className="size-4"
                checked={draft.management.includes(s.scope)}
                onChange={() => onChange({ ...draft, management: toggle(draft.management, s.scope) })}
              />
              <span>{s.label}</span>
              <span className="font-mono text-xs text-zinc-500">{s.scope}</span>
            </label>
          ))}
        </div>
        {error ? <p className="mt-1 text-sm text-red-600">{error}</p> : null}
      </fieldset>
    </>
  );
}
