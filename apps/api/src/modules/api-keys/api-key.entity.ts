// Row shapes of the api-keys tables. The repository queries them with SQL; these entities keep
// TypeORM's metadata complete and document the columns in one place.
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ApiKeyLimitKind, ApiKeyLimitWindow } from '@codex-lb/shared';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_user_id', type: 'uuid' })
  ownerUserId: string;

  @Column({ type: 'varchar' })
  name: string;

  /** The first characters of the secret, for recognising a key in lists. */
  @Column({ type: 'varchar' })
  prefix: string;

  /** SHA-256 (hex) of the whole secret; the secret itself is never stored. */
  @Column({ name: 'key_digest', type: 'char', length: 64 })
  keyDigest: string;

  @Column({ name: 'is_active', type: 'boolean' })
  isActive: boolean;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'allowed_models', type: 'text', array: true })
  allowedModels: string[];

  @Column({ name: 'accounts_restricted', type: 'boolean' })
  accountsRestricted: boolean;

  /** `proxy` and/or management permissions (never user or role management). */
  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('api_key_limits')
export class ApiKeyLimitEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @Column({ type: 'varchar' })
  kind: ApiKeyLimitKind;

  @Column({ type: 'varchar' })
  window: ApiKeyLimitWindow;

  @Column({ type: 'numeric' })
  max: string;

  @Column({ type: 'varchar', nullable: true })
  model: string | null;
}

@Entity('api_key_accounts')
export class ApiKeyAccountEntity {
  @PrimaryColumn({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId: string;
}

/** Groups whose pool the key draws on, while its owner is a member or owner of each. */
@Entity('api_key_groups')
export class ApiKeyGroupEntity {
  @PrimaryColumn({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId: string;
}

/** Settled usage per key, window and model; limit counters are seeded from it after a restart. */
@Entity('api_key_usage')
export class ApiKeyUsageEntity {
  @PrimaryColumn({ name: 'api_key_id', type: 'uuid' })
  apiKeyId: string;

  @PrimaryColumn({ name: 'window_kind', type: 'varchar' })
  windowKind: ApiKeyLimitWindow;

  @PrimaryColumn({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  @PrimaryColumn({ type: 'varchar' })
  model: string;

  @Column({ type: 'bigint' })
  requests: string;

  @Column({ name: 'input_tokens', type: 'bigint' })
  inputTokens: string;

  @Column({ name: 'output_tokens', type: 'bigint' })
  outputTokens: string;

  @Column({ name: 'total_tokens', type: 'bigint' })
  totalTokens: string;

  @Column({ name: 'cost_usd', type: 'numeric' })
  costUsd: string;
}

export const API_KEY_ENTITIES = [
  ApiKeyEntity,
  ApiKeyLimitEntity,
  ApiKeyAccountEntity,
  ApiKeyGroupEntity,
  ApiKeyUsageEntity,
];
