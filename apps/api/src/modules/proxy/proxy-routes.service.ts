// What each client protocol does with an open upstream stream: pass it through byte for byte
// (Codex and /v1/responses streams), collect it into one JSON response, or translate it to
// Chat Completions. Writes go to Node's response, chunk by chunk. Every handler receives the API
// key proxy-http.ts already authenticated, and returns either nothing (it answered itself) or a
// JSON value to answer with.
import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { chatToResponsesBytes } from './chat-request';
import { ChatTranslator } from './chat-translate';
import { ModelsService } from './models.service';
import { badBody } from './proxy-errors';
import {
  ProxyService,
  type OpenUpstream,
  type CancelState,
  type Outcome,
  type ProxyRequest,
  type StringFields,
} from './proxy.service';
import { SseObserver, usageFrom } from './sse-observer';
import { JsonMembers } from './json-members';
import { sendJson, sendJsonText, type ProxyCall } from './proxy-call';
import { upstreamResponsesBody } from './upstream-request';

type Json = Record<string, unknown>;

interface RequestSpec {
  route: string;
  path: string;
  accept: string;
  model: string | null;
  stream: boolean;
  /** The Responses-shaped body stickiness is read from. */
  fields: StringFields;
  /** What is sent upstream. */
  upstreamBody: Buffer | string;
  /** The start of the instructions' JSON text, for a derived soft key; null for none. */
  deriveFrom: Buffer | null;
}

interface Pumped {
  ttfbMs: number | null;
  status: Outcome['status'];
  errorCode: string | null;
}

const INCOMPLETE = 'The upstream response did not complete.';

/** Proxy routes receive the raw body bytes (see proxy-http.ts); this scans them. */
function membersOf(call: ProxyCall): JsonMembers {
  const body = call.body;
  if (!body || body.length === 0) throw badBody('The request body must be a JSON object.');
  try {
    return JsonMembers.scan(body);
  } catch (error) {
    throw badBody(`The request body is not a JSON object: ${(error as Error).message}.`);
  }
}

/** The start of the instructions' JSON text (without its quote), for a derived soft key. */
function instructionsPrefix(json: JsonMembers): Buffer {
  const member = json.members.get('instructions');
  if (!member) return Buffer.alloc(0);
  return json.buf.subarray(member.valueStart + 1, Math.min(member.end, member.valueStart + 1 + 2048));
}

/**
 * Writes a chunk to the client; false when the client is slower than the upstream, and then the
 * upstream read is paused until the client drains. The socket stays corked until the end of this
 * event-loop turn: chunks that arrive together, and the stream's end, leave in one write.
 */
function write(res: ServerResponse, chunk: Buffer | string, upstream: OpenUpstream['response']): boolean {
  if (!res.writableCorked) {
    res.cork();
    setImmediate(uncork, res);
  }
  if (res.write(chunk)) return true;
  res.once('drain', () => upstream.resume());
  return false;
}

function uncork(res: ServerResponse): void {
  // end() uncorks fully; a finished response's socket may already serve the next request.
  if (!res.writableEnded && res.writableCorked) res.uncork();
}

function sendIncomplete(res: ServerResponse, code: string | null, requestId: string): void {
  sendJson(res, 502, { error: { message: INCOMPLETE, type: 'server_error', code, param: null } }, requestId);
}

function streamHead(res: ServerResponse, contentType: string, requestId: string): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-request-id': requestId });
}

@Injectable()
export class ProxyRoutes {
  constructor(
    private readonly proxy: ProxyService,
    private readonly apiKeys: ApiKeysService,
    private readonly models: ModelsService,
  ) {}

  private build(call: ProxyCall, key: AuthenticatedKey, spec: RequestSpec): ProxyRequest {
    const cancel: CancelState = { aborted: false, body: null };
    const res = call.res;
    res.once('close', () => {
      if (res.writableFinished) return;
      cancel.aborted = true;
      cancel.body?.destroy();
    });
    const { hardKeys, softKey } = this.proxy.stickiness(key, call.headers, spec.fields, spec.deriveFrom);
    return {
      key,
      route: spec.route,
      requestId: call.id,
      headers: call.headers,
      clientIp: call.ip,
      model: spec.model,
      stream: spec.stream,
      path: spec.path,
      body: spec.upstreamBody,
      accept: spec.accept,
      hardKeys,
      softKey,
      cancel,
    };
  }

  /**
   * Reads the upstream body to its end, handing every chunk on as it arrives; never throws. An
   * onChunk that returns false has paused reading, and resumes it itself (see write()).
   */
  private async pump(
    req: ProxyRequest,
    open: OpenUpstream,
    onChunk: (chunk: Buffer) => boolean | void,
  ): Promise<Pumped> {
    let ttfbMs: number | null = null;
    try {
      await open.response.forEach((chunk) => {
        if (ttfbMs === null) ttfbMs = Math.round(performance.now() - open.startedAt);
        return onChunk(chunk);
      });
      return { ttfbMs, status: 'success', errorCode: null };
    } catch {
      const cancelled = req.cancel.aborted;
      return {
        ttfbMs,
        status: cancelled ? 'cancelled' : 'error',
        errorCode: cancelled ? 'client_closed' : 'upstream_disconnected',
      };
    }
  }

  /** Codex CLI's route: always a stream, passed through. */
  codexResponses(call: ProxyCall, key: AuthenticatedKey): Promise<void> {
    return this.streamResponses(call, key, '/backend-api/codex/responses', false);
  }

  /** /v1/responses: streamed through, or collected for non-stream clients. */
  responses(call: ProxyCall, key: AuthenticatedKey): Promise<void> {
    return this.streamResponses(call, key, '/v1/responses', true);
  }

  private async streamResponses(call: ProxyCall, key: AuthenticatedKey, route: string, fromV1: boolean): Promise<void> {
    const json = membersOf(call);
    const model = json.string('model');
    this.proxy.checkModel(key, model);
    const passthrough = fromV1 ? json.raw('stream') === 'true' : true;
    const req = this.build(call, key, {
      route,
      path: '/codex/responses',
      accept: 'text/event-stream',
      model,
      stream: passthrough,
      fields: json,
      upstreamBody: upstreamResponsesBody(json),
      deriveFrom: fromV1 ? instructionsPrefix(json) : null,
    });
    const open = await this.proxy.open(req);
    const observer = new SseObserver(!passthrough, open.readQuota);
    const res = call.res;
    if (passthrough) streamHead(res, open.response.header('content-type') ?? 'text/event-stream', req.requestId);
    const pumped = await this.pump(req, open, (chunk) => {
      observer.push(chunk);
      if (passthrough) return write(res, chunk, open.response);
    });
    observer.end();
    if (observer.quota) this.proxy.observeQuota(open.account.id, observer.quota);
    if (pumped.status === 'success' && observer.terminal !== 'completed') {
      pumped.status = 'error';
      pumped.errorCode =
        observer.errorCode ?? (observer.terminal === null ? 'upstream_disconnected' : 'response_failed');
    }
    await this.complete(req, open, res, pumped, passthrough ? null : () => observer.completedResponse, {
      usage: observer.usage,
      responseId: observer.responseId,
      model: observer.model,
    });
  }

  /**
   * Ends the client's response (a collected JSON answer, or the end of a stream) and records the
   * outcome. `collected` is null for streams; for JSON clients it yields the body, if complete.
   */
  private async complete(
    req: ProxyRequest,
    open: OpenUpstream,
    res: ServerResponse,
    pumped: Pumped,
    collected: (() => unknown) | null,
    observed: Pick<Outcome, 'usage' | 'responseId' | 'model'>,
  ): Promise<void> {
    let httpStatus = 200;
    if (collected && !req.cancel.aborted) {
      const payload = pumped.status === 'success' ? collected() : null;
      if (typeof payload === 'string') sendJsonText(res, 200, payload, req.requestId);
      else if (payload) sendJson(res, 200, payload, req.requestId);
      else {
        httpStatus = 502;
        sendIncomplete(res, pumped.errorCode, req.requestId);
      }
    } else if (!res.writableEnded) {
      res.end();
    }
    await this.proxy.finish(req, open, {
      status: pumped.status,
      httpStatus,
      errorCode: pumped.errorCode,
      usage: observed.usage,
      responseId: observed.responseId,
      ttfbMs: pumped.ttfbMs,
      model: observed.model,
    });
  }

  /** /v1/chat/completions over the Responses API, streamed as chunks or answered whole. */
  async chatCompletions(call: ProxyCall, key: AuthenticatedKey): Promise<void> {
    if (!call.body || call.body.length === 0) throw badBody('The request body must be a JSON object.');
    const chat = chatToResponsesBytes(call.body);
    const { model, stream, includeUsage } = chat;
    this.proxy.checkModel(key, model);
    const req = this.build(call, key, {
      route: '/v1/chat/completions',
      path: '/codex/responses',
      accept: 'text/event-stream',
      model,
      stream,
      fields: { string: (name) => (name === 'prompt_cache_key' ? chat.promptCacheKey : null) },
      upstreamBody: chat.body,
      deriveFrom: chat.instructionsPrefix,
    });
    const open = await this.proxy.open(req);
    const translator = new ChatTranslator(model, stream, includeUsage, open.readQuota);
    const res = call.res;
    if (stream) streamHead(res, 'text/event-stream', req.requestId);
    const pumped = await this.pump(req, open, (chunk) => {
      const out = translator.push(chunk);
      if (stream && out) return write(res, out, open.response);
    });
    if (translator.quota) this.proxy.observeQuota(open.account.id, translator.quota);
    if (pumped.status === 'success' && (!translator.finished || translator.failed)) {
      pumped.status = 'error';
      pumped.errorCode = translator.failed ?? 'upstream_disconnected';
    }
    await this.complete(req, open, res, pumped, stream ? null : () => translator.completionJson(), {
      usage: translator.usage,
      // A chat completion cannot be continued by response id (Chat Completions has no
      // previous_response_id), so there is no binding to remember.
      responseId: null,
      model: translator.model,
    });
  }

  /** Codex's compact endpoint: a plain JSON request and answer. */
  async compact(call: ProxyCall, key: AuthenticatedKey): Promise<void> {
    const json = membersOf(call);
    const model = json.string('model');
    this.proxy.checkModel(key, model);
    // The compact endpoint answers JSON: a client's `stream` flag must not go up.
    const upstreamBody = json.has('stream') ? json.rewrite(['stream'], {}) : json.buf;
    const req = this.build(call, key, {
      route: '/backend-api/codex/responses/compact',
      path: '/codex/responses/compact',
      accept: 'application/json',
      model,
      stream: false,
      fields: json,
      upstreamBody,
      deriveFrom: null,
    });
    const open = await this.proxy.open(req);
    const chunks: Buffer[] = [];
    const pumped = await this.pump(req, open, (chunk) => {
      chunks.push(chunk);
    });
    const text = Buffer.concat(chunks).toString('utf8');
    let usage = null;
    try {
      usage = usageFrom((JSON.parse(text) as Json).usage);
    } catch {
      if (pumped.status === 'success') Object.assign(pumped, { status: 'error', errorCode: 'invalid_upstream_json' });
    }
    if (pumped.status === 'success') {
      call.res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': req.requestId });
      call.res.end(text);
    } else if (!req.cancel.aborted) {
      sendIncomplete(call.res, pumped.errorCode, req.requestId);
    }
    await this.proxy.finish(req, open, {
      ...pumped,
      httpStatus: pumped.status === 'success' ? 200 : 502,
      usage,
      responseId: null,
      model,
    });
  }

  codexModels(call: ProxyCall, key: AuthenticatedKey): Promise<unknown> {
    const clientVersion = new URLSearchParams(call.search).get('client_version');
    return this.models.codexCatalogue(key, clientVersion || '0.169.0');
  }

  openAiModels(_call: ProxyCall, key: AuthenticatedKey): Promise<unknown> {
    return this.models.openAiList(key);
  }

  /** The key's own usage and limits; never the pool's quota. */
  async usage(_call: ProxyCall, key: AuthenticatedKey): Promise<unknown> {
    const usage = await this.apiKeys.usageForKey(key.id);
    return { object: 'usage', api_key: { id: key.id, name: key.name }, ...usage };
  }
}
