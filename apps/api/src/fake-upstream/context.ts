// What route handlers need from the running fake, kept as an interface to avoid import cycles.
import type { SeatState, SeatStore } from './state';
import type { FakeUpstreamOptions } from './types';

export type ResolvedOptions = Required<Omit<FakeUpstreamOptions, 'usageGrowth'>> & {
  usageGrowth: { primary: number; secondary: number };
};

export interface UpstreamContext {
  readonly store: SeatStore;
  readonly opts: ResolvedOptions;
  readonly authBaseUrl: string;
  /** Every refresh token presented at /oauth/token, in order. */
  readonly refreshTokensSeen: string[];
  /** The seat the next completed authorization logs into (a queued one, else a new seat). */
  takeLoginSeat(): SeatState;
}
