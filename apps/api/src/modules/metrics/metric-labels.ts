// Label values for the proxy's series, bounded whatever the client sends: a model is named only
// when the price table knows it (an exact name, or the family pattern it falls under), a route
// only when it is one of the proxy's fixed routes. Everything else is `other`.
import { MODEL_PRICES, normalizeModel } from '../usage/pricing';

const FAMILIES = Object.keys(MODEL_PRICES)
  .filter((name) => name.endsWith('*'))
  .map((pattern) => ({ prefix: pattern.slice(0, -1), pattern }))
  .sort((a, b) => b.prefix.length - a.prefix.length);

const MODEL_MEMO = new Map<string, string>();
const MODEL_MEMO_MAX = 1_000;

function lookUpModel(model: string): string {
  const name = normalizeModel(model);
  if (name.includes('*')) return 'other';
  if (Object.prototype.hasOwnProperty.call(MODEL_PRICES, name)) return name;
  for (const { prefix, pattern } of FAMILIES) if (name.startsWith(prefix)) return pattern;
  return 'other';
}

/** The model label: a name or family of the price table, `none`, or `other`. */
export function modelLabel(model: string | null | undefined): string {
  if (!model) return 'none';
  const memo = MODEL_MEMO.get(model);
  if (memo !== undefined) return memo;
  const label = lookUpModel(model);
  if (MODEL_MEMO.size < MODEL_MEMO_MAX) MODEL_MEMO.set(model, label);
  return label;
}

const STATUS_LABELS: string[] = [];
const CLASS_LABELS = ['1xx', '2xx', '3xx', '4xx', '5xx'];
for (let code = 0; code < 600; code++) STATUS_LABELS.push(String(code));

/** An HTTP status as a label: 100-599, anything else `other`. */
export function statusLabel(status: number): string {
  return status >= 100 && status < 600 && Number.isInteger(status) ? STATUS_LABELS[status] : 'other';
}

export function statusClassLabel(status: number): string {
  return status >= 100 && status < 600 ? CLASS_LABELS[Math.floor(status / 100) - 1] : 'other';
}
