// The audit log's routes, all behind audit:read.
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuditEventDto, AuditPage, AuditVerifyResult } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { AuditReaderService } from './audit-reader.service';
import { AuditFilterQueryDto, AuditListQueryDto } from './dto/audit-query.dto';
import { sendDownload } from '../../common/download-response';

@Controller('api/audit-events')
export class AuditController {
  constructor(private readonly reader: AuditReaderService) {}

  @Get()
  @RequirePermission('audit:read')
  list(@Query() query: AuditListQueryDto): Promise<AuditPage> {
    return this.reader.list(query);
  }

  /** Same filters as the list: matching events as NDJSON, newest first, at most 100 000. */
  @Get('export')
  @RequirePermission('audit:read')
  async export(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditFilterQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const pieces = await this.reader.export(principal, query);
    return sendDownload(reply, 'application/x-ndjson; charset=utf-8', 'audit-events.ndjson', pieces);
  }

  @Get('verify')
  @RequirePermission('audit:read')
  verify(): Promise<AuditVerifyResult> {
    return this.reader.verify();
  }

  @Get(':id')
  @RequirePermission('audit:read')
  get(@Param('id') id: string): Promise<AuditEventDto> {
    return this.reader.get(id);
  }
}
