import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ACCOUNT_STATUSES = [
  'active',
  'paused',
  'rate_limited',
  'quota_exceeded',
  'reauth_required',
  'deactivated',
] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

const numeric = { to: (v: number | null) => v, from: (v: string | number | null) => (v === null ? null : Number(v)) };

@Entity('accounts')
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Exactly one of ownerUserId and ownerGroupId is set. */
  @Column({ name: 'owner_user_id', type: 'uuid', nullable: true }) ownerUserId: string | null;
  @Column({ name: 'owner_group_id', type: 'uuid', nullable: true }) ownerGroupId: string | null;
  @Column({ name: 'chatgpt_account_id', type: 'varchar' }) chatgptAccountId: string;
  @Column({ name: 'chatgpt_user_id', type: 'varchar' }) chatgptUserId: string;
  @Column({ type: 'varchar', nullable: true }) email: string | null;
  @Column({ name: 'plan_type', type: 'varchar', nullable: true }) planType: string | null;
  @Column({ type: 'varchar', nullable: true }) alias: string | null;
  @Column({ type: 'varchar' }) status: AccountStatus;
  @Column({ name: 'status_reason', type: 'varchar', nullable: true }) statusReason: string | null;
  @Column({ name: 'cooldown_until', type: 'timestamptz', nullable: true }) cooldownUntil: Date | null;
  @Column({ name: 'access_token_enc', type: 'text' }) accessTokenEnc: string;
  @Column({ name: 'refresh_token_enc', type: 'text' }) refreshTokenEnc: string;
  @Column({ name: 'id_token_enc', type: 'text' }) idTokenEnc: string;
  @Column({ name: 'token_expires_at', type: 'timestamptz', nullable: true }) tokenExpiresAt: Date | null;
  @Column({ name: 'last_refresh_at', type: 'timestamptz', nullable: true }) lastRefreshAt: Date | null;
  @Column({ name: 'primary_used_percent', type: 'double precision', nullable: true, transformer: numeric })
  primaryUsedPercent: number | null;
  @Column({ name: 'primary_window_minutes', type: 'integer', nullable: true }) primaryWindowMinutes: number | null;
  @Column({ name: 'primary_resets_at', type: 'timestamptz', nullable: true }) primaryResetsAt: Date | null;
  @Column({ name: 'secondary_used_percent', type: 'double precision', nullable: true, transformer: numeric })
  secondaryUsedPercent: number | null;
  @Column({ name: 'secondary_window_minutes', type: 'integer', nullable: true }) secondaryWindowMinutes: number | null;
  @Column({ name: 'secondary_resets_at', type: 'timestamptz', nullable: true }) secondaryResetsAt: Date | null;
  @Column({ name: 'credits_balance', type: 'double precision', nullable: true, transformer: numeric })
  creditsBalance: number | null;
  @Column({ name: 'credits_unlimited', type: 'boolean', nullable: true }) creditsUnlimited: boolean | null;
  @Column({ name: 'quota_fetched_at', type: 'timestamptz', nullable: true }) quotaFetchedAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
