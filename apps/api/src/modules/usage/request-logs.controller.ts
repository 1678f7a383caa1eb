import { Controller, Get, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RequestLogDto, RequestLogPage } from '@codex-lb/shared';
import { CurrentPrincipal, RequirePermission } from '../../common/decorators';
import type { Principal } from '../../common/principal';
import { sendDownload } from '../../common/download-response';
import { RequestLogListQueryDto } from './dto/usage.dto';
import { RequestLogsService } from './request-logs.service';

@Controller('api/request-logs')
export class RequestLogsController {
  constructor(private readonly logs: RequestLogsService) {}

  @Get()
  @RequirePermission('usage:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: RequestLogListQueryDto): Promise<RequestLogPage> {
    return this.logs.list(principal, query);
  }

  /** Same filters as the list (limit and cursor are ignored): every matching row, newest first. */
  @Get('export')
  @RequirePermission('usage:read')
  export(
    @CurrentPrincipal() principal: Principal,
    @Query() query: RequestLogListQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { filename, chunks } = this.logs.export(principal, query);
    return sendDownload(reply, 'text/csv; charset=utf-8', filename, chunks);
  }

  @Get(':id')
  @RequirePermission('usage:read')
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RequestLogDto> {
    return this.logs.get(principal, id);
  }
}
