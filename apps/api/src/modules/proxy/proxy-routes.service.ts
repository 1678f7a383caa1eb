// What each client protocol does with an open upstream stream: pass it through byte for byte
// (Codex and /v1/responses streams), collect it into one JSON response, or translate it to
// Chat Completions. Writes go to the raw response after reply.hijack(), chunk by chunk.
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { ChatTranslator, chatToResponses } from './chat-translate';
import { ModelsService } from './models.service';
import { badBody } from './proxy-errors';
import { ProxyService, type OpenUpstream, type Outcome, type ProxyRequest } from './proxy.service';
import { SseObserver, usageFrom } from './sse-observer';
import { prepareResponsesBody } from './upstream-request';

type Json = Record<string, unknown>;
type Mode = 'passthrough' | 'collect';

function bodyOf(request: FastifyRequest): Json {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badBody('The request body must be a JSON object.');
  return body as Json;
}

function abortOnClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

async function write(res: ServerResponse, chunk: Buffer | string): Promise<void> {
  if (!res.write(chunk)) await once(res, 'drain');
}

@Injectable()
export class ProxyRoutes {
  constructor(
    private readonly proxy: ProxyService,
    private readonly keys: ApiKeyAuthService,
    private readonly apiKeys: ApiKeysService,
    private readonly models: ModelsService,
  ) {}

  async key(request: FastifyRequest): Promise<AuthenticatedKey> {
    return this.keys.authenticateHeaders(request.headers);
  }

  /** Codex CLI's route and /v1/responses. */
  async responses(request: FastifyRequest, reply: FastifyReply, route: string, fromV1: boolean): Promise<void> {
    const key = await this.key(request);
    const body = bodyOf(request);
    const wantsStream = fromV1 ? body.stream === true : true;
    const model = typeof body.model === 'string' ? body.model : null;
    this.proxy.checkModel(key, model);
    const controller = abortOnClose(reply);
    const { hardKeys, softKey } = this.proxy.stickiness(key, request.headers, body, fromV1);
    const req: ProxyRequest = {
      key,
      route,
      requestId: String(request.id),
      headers: request.headers,
      clientIp: request.ip ?? null,
      model,
      stream: wantsStream,
      path: '/codex/responses',
      body: JSON.stringify(prepareResponsesBody(body)),
      accept: 'text/event-stream',
      hardKeys,
      softKey,
      signal: controller.signal,
    };
    const open = await this.proxy.open(req);
    await this.relay(req, open, reply, wantsStream ? 'passthrough' : 'collect');
  }

  private async relay(req: ProxyRequest, open: OpenUpstream, reply: FastifyReply, mode: Mode): Promise<void> {
    const observer = new SseObserver(mode === 'collect');
    const res = reply.raw;
    let ttfb: number | null = null;
    let status: Outcome['status'] = 'success';
    let errorCode: string | null = null;
    reply.hijack();
    if (mode === 'passthrough') {
      res.writeHead(200, {
        'content-type': String(open.response.headers['content-type'] ?? 'text/event-stream'),
        'cache-control': 'no-cache',
        'x-request-id': req.requestId,
      });
    }
    try {
      for await (const chunk of open.response.body) {
        if (ttfb === null) ttfb = Math.round(performance.now() - open.startedAt);
        if (mode === 'passthrough') await write(res, chunk as Buffer);
        observer.push(chunk as Buffer);
      }
      observer.end();
    } catch {
      status = req.signal.aborted ? 'cancelled' : 'error';
      errorCode = req.signal.aborted ? 'client_closed' : 'upstream_disconnected';
    }
    if (observer.quota) this.proxy.observeQuota(open.account.id, observer.quota);
    if (status === 'success' && observer.terminal !== 'completed') {
      status = 'error';
      errorCode = observer.errorCode ?? (observer.terminal === null ? 'upstream_disconnected' : 'response_failed');
    }
    let httpStatus = 200;
    if (mode === 'collect' && !req.signal.aborted) {
      if (observer.completedResponse && observer.terminal === 'completed') {
        this.sendJson(res, 200, observer.completedResponse, req.requestId);
      } else {
        httpStatus = 502;
        this.sendJson(
          res,
          502,
          {
            error: {
              message: 'The upstream response did not complete.',
              type: 'server_error',
              code: errorCode,
              param: null,
            },
          },
          req.requestId,
        );
      }
    } else if (!res.writableEnded) {
      res.end();
    }
    await this.proxy.finish(req, open, {
      status,
      httpStatus,
      errorCode,
      usage: observer.usage,
      responseId: observer.responseId,
      ttfbMs: ttfb,
      model: observer.model,
    });
  }

  async chatCompletions(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const key = await this.key(request);
    const chat = bodyOf(request);
    const body = chatToResponses(chat);
    const model = body.model as string;
    this.proxy.checkModel(key, model);
    const stream = chat.stream === true;
    const includeUsage = (chat.stream_options as Json | undefined)?.include_usage === true;
    const controller = abortOnClose(reply);
    const { hardKeys, softKey } = this.proxy.stickiness(key, request.headers, body, true);
    const req: ProxyRequest = {
      key,
      route: '/v1/chat/completions',
      requestId: String(request.id),
      headers: request.headers,
      clientIp: request.ip ?? null,
      model,
      stream,
      path: '/codex/responses',
      body: JSON.stringify(body),
      accept: 'text/event-stream',
      hardKeys,
      softKey,
      signal: controller.signal,
    };
    const open = await this.proxy.open(req);
    const translator = new ChatTranslator(model, stream, includeUsage);
    const res = reply.raw;
    reply.hijack();
    if (stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-request-id': req.requestId,
      });
    }
    let ttfb: number | null = null;
    let status: Outcome['status'] = 'success';
    let errorCode: string | null = null;
    const observer = new SseObserver();
    try {
      for await (const chunk of open.response.body) {
        if (ttfb === null) ttfb = Math.round(performance.now() - open.startedAt);
        observer.push(chunk as Buffer);
        const out = translator.push(chunk as Buffer);
        if (stream && out) await write(res, out);
      }
    } catch {
      status = req.signal.aborted ? 'cancelled' : 'error';
      errorCode = req.signal.aborted ? 'client_closed' : 'upstream_disconnected';
    }
    if (observer.quota) this.proxy.observeQuota(open.account.id, observer.quota);
    if (status === 'success' && (!translator.finished || translator.failed)) {
      status = 'error';
      errorCode = translator.failed ?? 'upstream_disconnected';
    }
    let httpStatus = 200;
    if (!stream && !req.signal.aborted) {
      if (status === 'success') this.sendJson(res, 200, translator.completion(), req.requestId);
      else {
        httpStatus = 502;
        this.sendJson(
          res,
          502,
          {
            error: {
              message: 'The upstream response did not complete.',
              type: 'server_error',
              code: errorCode,
              param: null,
            },
          },
          req.requestId,
        );
      }
    } else if (!res.writableEnded) {
      res.end();
    }
    await this.proxy.finish(req, open, {
      status,
      httpStatus,
      errorCode,
      usage: translator.usage,
      responseId: observer.responseId,
      ttfbMs: ttfb,
      model: translator.model,
    });
  }

  /** Codex's compact endpoint: a plain JSON request and answer. */
  async compact(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const key = await this.key(request);
    const body = bodyOf(request);
    const model = typeof body.model === 'string' ? body.model : null;
    this.proxy.checkModel(key, model);
    const controller = abortOnClose(reply);
    const { hardKeys, softKey } = this.proxy.stickiness(key, request.headers, body, false);
    const upstreamBody = { ...body };
    delete upstreamBody.stream;
    const req: ProxyRequest = {
      key,
      route: '/backend-api/codex/responses/compact',
      requestId: String(request.id),
      headers: request.headers,
      clientIp: request.ip ?? null,
      model,
      stream: false,
      path: '/codex/responses/compact',
      body: JSON.stringify(upstreamBody),
      accept: 'application/json',
      hardKeys,
      softKey,
      signal: controller.signal,
    };
    const open = await this.proxy.open(req);
    const text = await open.response.body.text();
    const ttfb = Math.round(performance.now() - open.startedAt);
    let usage = null;
    try {
      usage = usageFrom((JSON.parse(text) as Json).usage);
    } catch {
      usage = null;
    }
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/json', 'x-request-id': req.requestId });
    reply.raw.end(text);
    await this.proxy.finish(req, open, {
      status: 'success',
      httpStatus: 200,
      errorCode: null,
      usage,
      responseId: null,
      ttfbMs: ttfb,
      model,
    });
  }

  async codexModels(request: FastifyRequest): Promise<unknown> {
    const key = await this.key(request);
    const clientVersion = (request.query as Json)?.client_version;
    return this.models.codexCatalogue(key, typeof clientVersion === 'string' ? clientVersion : '0.169.0');
  }

  async openAiModels(request: FastifyRequest): Promise<unknown> {
    return this.models.openAiList(await this.key(request));
  }

  async usage(request: FastifyRequest): Promise<unknown> {
    const key = await this.key(request);
    const usage = await this.apiKeys.usageForKey(key.id);
    return { object: 'usage', api_key: { id: key.id, name: key.name }, ...usage };
  }

  private sendJson(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-request-id': requestId,
    });
    res.end(text);
  }
}
