'use client';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { cn } from '@/lib/cn';
import { rangeForPreset, rangeFromDates, toDateInput, type DateRange, type RangePreset } from '@/lib/usage-range';

const PRESETS: Array<{ id: Exclude<RangePreset, 'custom'>; label: string }> = [
  { id: 'today', label: 'Today' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

export function DateRangePicker({
  preset,
  range,
  onChange,
}: {
  preset: RangePreset;
  range: DateRange;
  onChange: (preset: RangePreset, range: DateRange) => void;
}) {
  const [fromDate, setFromDate] = useState(toDateInput(range.from));
  const [toDate, setToDate] = useState(toDateInput(range.to));
  const custom = rangeFromDates(fromDate, toDate);
  return (
    <div className="flex flex-wrap items-end gap-2">
      <div role="group" aria-label="Period" className="flex rounded-md border border-zinc-300 bg-white p-0.5">
        {PRESETS.map((item) => (
          <button
            key={item.id}
            type="button"
            aria-pressed={preset === item.id}
            onClick={() => onChange(item.id, rangeForPreset(item.id))}
            className={cn(
              'rounded px-3 py-1.5 text-sm font-medium',
              preset === item.id ? 'bg-zinc-900 text-white' : 'text-zinc-700 hover:bg-zinc-100',
            )}
          >
            {item.label}
          </button>
        ))}
      </div>
      <label className="text-xs text-zinc-600">
        From
        <Input
          type="date"
          controlSize="sm"
          className="mt-0.5 w-auto"
          value={fromDate}
          max={toDate}
          onChange={(e) => setFromDate(e.target.value)}
        />
      </label>
      <label className="text-xs text-zinc-600">
        To
        <Input
          type="date"
          controlSize="sm"
          className="mt-0.5 w-auto"
          value={toDate}
          min={fromDate}
          onChange={(e) => setToDate(e.target.value)}
        />
      </label>
      <Button
        variant={preset === 'custom' ? 'primary' : 'outline'}
        size="sm"
        disabled={!custom}
        onClick={() => custom && onChange('custom', custom)}
      >
        Apply dates
      </Button>
    </div>
  );
}
