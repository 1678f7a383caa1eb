'use client';
// The audit log's filter bar: actor, action, target type, outcome and a time range. Text fields
// are applied by the page after a short debounce; selects apply at once.
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '@codex-lb/shared';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { EMPTY_AUDIT_FILTERS, type AuditFilters } from '@/lib/api/audit';

export const OUTCOME_LABELS: Record<(typeof AUDIT_OUTCOMES)[number], string> = {
  success: 'Succeeded',
  denied: 'Denied',
  failed: 'Failed',
};

export const TARGET_TYPES = ['user', 'role', 'account', 'api_key', 'group', 'service_account', 'settings', 'route'];

export function AuditFiltersBar({
  filters,
  onChange,
}: {
  filters: AuditFilters;
  onChange: (next: AuditFilters) => void;
}) {
  const set = (patch: Partial<AuditFilters>) => onChange({ ...filters, ...patch });
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-[repeat(3,minmax(0,1fr))] xl:flex xl:flex-wrap xl:items-end">
      <label className="text-xs text-zinc-600 xl:w-56">
        Action
        <Select
          aria-label="Action"
          className="mt-0.5"
          value={filters.action}
          onChange={(e) => set({ action: e.target.value })}
        >
          <option value="">Any action</option>
          {AUDIT_ACTIONS.map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </Select>
      </label>
      <label className="text-xs text-zinc-600 xl:w-40">
        Outcome
        <Select
          aria-label="Outcome"
          className="mt-0.5"
          value={filters.outcome}
          onChange={(e) => set({ outcome: e.target.value })}
        >
          <option value="">Any outcome</option>
          {AUDIT_OUTCOMES.map((outcome) => (
            <option key={outcome} value={outcome}>
              {OUTCOME_LABELS[outcome]}
            </option>
          ))}
        </Select>
      </label>
      <label className="text-xs text-zinc-600 xl:w-44">
        Target type
        <Input
          className="mt-0.5"
          aria-label="Target type"
          list="audit-target-types"
          value={filters.targetType}
          maxLength={64}
          placeholder="any"
          onChange={(e) => set({ targetType: e.target.value })}
        />
        <datalist id="audit-target-types">
          {TARGET_TYPES.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
      </label>
      <label className="text-xs text-zinc-600 xl:w-72">
        Actor id
        <Input
          aria-label="Actor id"
          className="mt-0.5 font-mono"
          value={filters.actorId}
          maxLength={64}
          placeholder="any (choose one in the table)"
          onChange={(e) => set({ actorId: e.target.value })}
        />
      </label>
      <label className="text-xs text-zinc-600 xl:w-52">
        From
        <Input
          className="mt-0.5"
          type="datetime-local"
          aria-label="From"
          value={filters.from}
          onChange={(e) => set({ from: e.target.value })}
        />
      </label>
      <label className="text-xs text-zinc-600 xl:w-52">
        Until
        <Input
          className="mt-0.5"
          type="datetime-local"
          aria-label="Until"
          value={filters.to}
          onChange={(e) => set({ to: e.target.value })}
        />
      </label>
      {filtered ? (
        <Button variant="ghost" size="sm" onClick={() => onChange(EMPTY_AUDIT_FILTERS)}>
          Clear filters
        </Button>
      ) : null}
    </div>
  );
}
