'use client';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import {
  API_KEY_LIMIT_KINDS as LIMIT_KINDS,
  API_KEY_LIMIT_WINDOWS as LIMIT_WINDOWS,
  type ApiKeyLimitKind as LimitKind,
  type ApiKeyLimitWindow as LimitWindow,
} from '@codex-lb/shared';

export const LIMIT_KIND_LABELS: Record<LimitKind, string> = {
  requests: 'Requests',
  input_tokens: 'Input tokens',
  output_tokens: 'Output tokens',
  total_tokens: 'Total tokens',
  cost_usd: 'Cost (USD)',
};

export const LIMIT_WINDOW_LABELS: Record<LimitWindow, string> = {
  minute: 'per minute',
  '5h': 'per 5 hours',
  daily: 'per day',
  weekly: 'per week',
  monthly: 'per month',
};

/** A limit as typed: max stays text until submit so the field can be empty while editing. */
export interface LimitDraft {
  kind: LimitKind;
  window: LimitWindow;
  max: string;
  model: string;
}

export const newLimitDraft = (): LimitDraft => ({ kind: 'requests', window: 'daily', max: '', model: '' });

export function LimitsEditor({
  limits,
  errors,
  onChange,
}: {
  limits: LimitDraft[];
  errors: Record<number, string>;
  onChange: (limits: LimitDraft[]) => void;
}) {
  const patch = (index: number, change: Partial<LimitDraft>) =>
    onChange(limits.map((limit, i) => (i === index ? { ...limit, ...change } : limit)));
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-zinc-800">Limits</legend>
      <p className="text-xs text-zinc-500">
        Requests over a limit are refused with 429 until the window resets. No limits: unlimited.
      </p>
      {limits.map((limit, index) => (
        <div key={index} className="rounded-md border border-zinc-200 p-2">
          <div className="grid grid-cols-2 gap-2 sm:grid-cols-[1fr_1fr_7rem_1fr_auto]">
            <Select
              aria-label={`Limit ${index + 1} measure`}
              value={limit.kind}
              onChange={(e) => patch(index, { kind: e.target.value as LimitKind })}
            >
              {LIMIT_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {LIMIT_KIND_LABELS[kind]}
                </option>
              ))}
            </Select>
            <Select
              aria-label={`Limit ${index + 1} window`}
              value={limit.window}
              onChange={(e) => patch(index, { window: e.target.value as LimitWindow })}
            >
              {LIMIT_WINDOWS.map((window) => (
                <option key={window} value={window}>
                  {LIMIT_WINDOW_LABELS[window]}
                </option>
              ))}
            </Select>
            <Input
              aria-label={`Limit ${index + 1} maximum`}
              aria-invalid={errors[index] ? true : undefined}
              inputMode="decimal"
              placeholder="Max"
              value={limit.max}
              onChange={(e) => patch(index, { max: e.target.value })}
            />
            <Input
              aria-label={`Limit ${index + 1} model (optional)`}
              placeholder="Any model"
              value={limit.model}
              onChange={(e) => patch(index, { model: e.target.value })}
            />
            <Button
              variant="ghost"
              className="col-span-2 sm:col-span-1"
              onClick={() => onChange(limits.filter((_, i) => i !== index))}
              aria-label={`Remove limit ${index + 1}`}
            >
              Remove
            </Button>
          </div>
          {errors[index] ? <p className="mt-1 text-sm text-red-600">{errors[index]}</p> : null}
        </div>
      ))}
      <Button variant="outline" size="sm" onClick={() => onChange([...limits, newLimitDraft()])}>
        Add a limit
      </Button>
    </fieldset>
  );
}
