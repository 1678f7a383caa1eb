// The client-facing protocols: Codex CLI under /backend-api/codex, OpenAI SDKs under /v1. Every
// route needs an API key (@ApiKeyRoute); there is no setting that turns this off.
import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyRoute, RequirePermission } from '../../common/decorators';
import { ProxyRoutes } from './proxy-routes.service';

@Controller()
@ApiKeyRoute()
export class ProxyController {
  constructor(private readonly routes: ProxyRoutes) {}

  @Post(['backend-api/codex/responses', 'backend-api/codex/v1/responses'])
  @RequirePermission('proxy:use')
  codexResponses(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.routes.responses(request, reply, '/backend-api/codex/responses', false);
  }

  @Post(['backend-api/codex/responses/compact', 'backend-api/codex/v1/responses/compact'])
  @RequirePermission('proxy:use')
  compact(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.routes.compact(request, reply);
  }

  @Get(['backend-api/codex/models', 'backend-api/codex/v1/models'])
  @RequirePermission('proxy:use')
  codexModels(@Req() request: FastifyRequest): Promise<unknown> {
    return this.routes.codexModels(request);
  }

  @Post('v1/responses')
  @RequirePermission('proxy:use')
  responses(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.routes.responses(request, reply, '/v1/responses', true);
  }

  @Post('v1/chat/completions')
  @RequirePermission('proxy:use')
  chat(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.routes.chatCompletions(request, reply);
  }

  @Get('v1/models')
  @RequirePermission('proxy:use')
  models(@Req() request: FastifyRequest): Promise<unknown> {
    return this.routes.openAiModels(request);
  }

  @Get('v1/usage')
  @RequirePermission('proxy:use')
  usage(@Req() request: FastifyRequest): Promise<unknown> {
    return this.routes.usage(request);
  }
}
