'use client';
import { useCan } from '@/components/session-provider';
import { Select } from '@/components/ui/input';
import { useGroups } from '@/hooks/use-groups';

/** "All groups" or one group the caller sees; hidden without groups to choose from. */
export function GroupFilter({
  value,
  onChange,
  className,
}: {
  value: string;
  onChange: (groupId: string) => void;
  className?: string;
}) {
  const readsGroups = useCan('groups:read');
  const groups = useGroups({ enabled: readsGroups });
  const list = groups.data?.items ?? [];
  if (!readsGroups || (!list.length && !value)) return null;
  return (
    <label className={className ?? 'flex items-center gap-2 text-sm'}>
      <span className="text-zinc-600">Group</span>
      <Select className="w-auto min-w-40" value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">All groups</option>
        {list.map((group) => (
          <option key={group.id} value={group.id}>
            {group.name}
          </option>
        ))}
      </Select>
    </label>
  );
}
