'use client';
import { Select } from '@/components/ui/input';
import { useCan } from '@/components/session-provider';
import { useOwners } from '@/hooks/use-owners';

/** Admin-only filter: "All owners" or one dashboard user. */
export function OwnerFilter({
  value,
  onChange,
  label = 'Owner',
}: {
  value: string;
  onChange: (ownerId: string) => void;
  label?: string;
}) {
  // Listing owners needs users:read; without it the filter offers "All owners" only.
  const { owners, isPending } = useOwners(useCan('users:read'));
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="text-zinc-600">{label}</span>
      <Select
        className="w-auto min-w-40"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={isPending}
      >
        <option value="">All owners</option>
        {owners.map((owner) => (
          <option key={owner.id} value={owner.id}>
            {owner.username}
          </option>
        ))}
      </Select>
    </label>
  );
}
