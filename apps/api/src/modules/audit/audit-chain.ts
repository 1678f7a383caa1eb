// The hash chain over audit rows: each sealed row's hash is sha256 of its canonical content and
// the previous row's hash, so an edited row no longer matches its hash and a removed row leaves a
// gap in seq and a broken link. Pure functions, shared by the sealer and the verifier.
import { createHash } from 'node:crypto';
import type { ChainRow } from './audit.repository';

/** The prev_hash of the first row ever sealed. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every column but the hash itself, in a fixed order and text form (jsonb's text is normalised). */
export function canonicalRow(row: ChainRow, seq: string, prevHash: string): string {
  return JSON.stringify([
    seq,
    row.id,
    row.at_text,
    row.actor_id,
    row.actor_kind,
    row.actor_label,
    row.auth_method,
    row.action,
    row.target_type,
    row.target_id,
    row.target_label,
    row.outcome,
    row.reason,
    row.ip,
    row.user_agent,
    row.request_id,
    row.changes_text,
    prevHash,
  ]);
}

export function rowHash(row: ChainRow, seq: string, prevHash: string): string {
  return createHash('sha256')
    .update(canonicalRow(row, seq, prevHash))
    .digest('hex');
}
