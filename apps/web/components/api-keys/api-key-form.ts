// Turns what the user typed into a CreateApiKeyRequest, or says what is wrong, before sending.
import type { CreateApiKeyRequest } from '@codex-lb/shared';
import type { LimitDraft } from './limits-editor';

export interface ApiKeyDraft {
  name: string;
  /** yyyy-mm-dd from a date input, or empty for no expiry. */
  expiresOn: string;
  allowedModels: string;
  accountIds: string[];
  limits: LimitDraft[];
}

export interface ApiKeyFormErrors {
  name?: string;
  expiresOn?: string;
  limits: Record<number, string>;
}

export const emptyApiKeyDraft = (): ApiKeyDraft => ({
  name: '',
  expiresOn: '',
  allowedModels: '',
  accountIds: [],
  limits: [],
});

export function parseApiKeyDraft(
  draft: ApiKeyDraft,
  now: Date = new Date(),
): { ok: true; request: CreateApiKeyRequest } | { ok: false; errors: ApiKeyFormErrors } {
  const errors: ApiKeyFormErrors = { limits: {} };
  const name = draft.name.trim();
  if (!name) errors.name = 'Give the key a name, such as the machine or tool that will use it.';
  else if (name.length > 100) errors.name = 'Use at most 100 characters.';

  let expiresAt: string | undefined;
  if (draft.expiresOn) {
    // The key stays valid through the whole chosen day, in the user's time zone.
    const end = new Date(`${draft.expiresOn}T23:59:59`);
    if (Number.isNaN(end.getTime())) errors.expiresOn = 'Pick a valid date.';
    else if (end <= now) errors.expiresOn = 'Pick a date in the future.';
    else expiresAt = end.toISOString();
  }

  const limits = draft.limits.map((limit, index) => {
    const max = Number(limit.max);
    if (!limit.max.trim() || !Number.isFinite(max) || max <= 0)
      errors.limits[index] = 'Enter a maximum greater than zero.';
    else if (limit.kind !== 'cost_usd' && !Number.isInteger(max))
      errors.limits[index] = 'Counts must be whole numbers.';
    return {
      kind: limit.kind,
      window: limit.window,
      max,
      ...(limit.model.trim() ? { model: limit.model.trim() } : {}),
    };
  });
  const seen = new Set<string>();
  draft.limits.forEach((limit, index) => {
    const key = `${limit.kind}|${limit.window}|${limit.model.trim()}`;
    if (seen.has(key) && !errors.limits[index]) errors.limits[index] = 'The same limit is already set above.';
    seen.add(key);
  });

  if (errors.name || errors.expiresOn || Object.keys(errors.limits).length) return { ok: false, errors };
  const allowedModels = draft.allowedModels
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  return {
    ok: true,
    request: {
      name,
      ...(expiresAt ? { expiresAt } : {}),
      ...(allowedModels.length ? { allowedModels } : {}),
      ...(draft.accountIds.length ? { accountIds: draft.accountIds } : {}),
      ...(limits.length ? { limits } : {}),
    },
  };
}
