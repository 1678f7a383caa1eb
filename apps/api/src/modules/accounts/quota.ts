// An account's quota windows as the upstream reports them (wham/usage, x-codex-* headers,
// codex.rate_limits events): the 5-hour (primary) and weekly (secondary) windows and credits.

export interface QuotaWindow {
  usedPercent: number;
  windowMinutes: number | null;
  resetsAt: Date | null;
}

export interface QuotaSnapshot {
  planType: string | null;
  primary: QuotaWindow | null;
  secondary: QuotaWindow | null;
  creditsBalance: number | null;
  creditsUnlimited: boolean | null;
}
