// SCIM tokens: created by an admin (the token is in that answer only), listed by prefix, revoked
// for good. A revoked token is refused from its next request on: every SCIM request looks its
// digest up (scim_tokens is tiny and the lookup is by a unique index), so there is no cache to
// invalidate. Creating and revoking are audited; the token itself never reaches the log.
import { Injectable } from '@nestjs/common';
import { SCIM_TOKENS_MAX, type CreatedScimTokenDto, type ScimTokenDto } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import type { Principal } from '../../common/principal';
import { AuditService } from '../audit/audit.service';
import type { CreateScimTokenDto } from './dto/scim-token.dto';
import { generateScimToken } from './scim-token-secret';
import { ScimTokensRepository, type ScimTokenRow } from './scim-tokens.repository';

@Injectable()
export class ScimTokensService {
  constructor(
    private readonly tokens: ScimTokensRepository,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<{ items: ScimTokenDto[] }> {
    return { items: (await this.tokens.list()).map(toScimTokenDto) };
  }

  async create(principal: Principal, dto: CreateScimTokenDto): Promise<CreatedScimTokenDto> {
    const secret = generateScimToken();
    const name = dto.name.trim();
    const row = await this.tokens.transaction(async (manager) => {
      if ((await this.tokens.lockForCreate(manager)) >= SCIM_TOKENS_MAX) {
        throw ApiError.conflict(
          'conflict',
          `There are already ${SCIM_TOKENS_MAX} SCIM tokens. Revoke one you no longer use first.`,
        );
      }
      const id = await this.tokens.create(
        { name, prefix: secret.prefix, digest: secret.digest, createdBy: principal.userId },
        manager,
      );
      await this.audit.record(manager, {
        action: 'scim_token.create',
        target: { type: 'scim_token', id, label: name },
        changes: { after: { name, prefix: secret.prefix } },
      });
      return (await this.tokens.find(id, manager))!;
    });
    return { ...toScimTokenDto(row), token: secret.token };
  }

  async revoke(id: string): Promise<void> {
    await this.tokens.transaction(async (manager) => {
      const row = await this.tokens.find(id, manager);
      if (!row || !(await this.tokens.revoke(id, manager))) throw ApiError.notFound('SCIM token');
      await this.audit.record(manager, {
        action: 'scim_token.revoke',
        target: { type: 'scim_token', id, label: row.name },
        changes: { before: { name: row.name, prefix: row.prefix } },
      });
    });
  }
}

function toScimTokenDto(row: ScimTokenRow): ScimTokenDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.createdAt).toISOString(),
    createdBy: row.createdById ? { id: row.createdById, username: row.createdByUsername ?? '' } : null,
    lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt).toISOString() : null,
  };
}
