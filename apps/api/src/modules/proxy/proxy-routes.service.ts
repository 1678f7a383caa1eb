// The protocols, as adapters over the one exchange lifecycle (ProxyService.run): Codex and
// /v1/responses streams passed through byte for byte, /v1/responses collected into one JSON answer,
// Chat Completions translated, and Codex's compact endpoint. An adapter starts, continues and ends
// the client's answer and reports what it observed; admission, failover, settlement and the log row
// are the lifecycle's. Every handler receives the exchange and the API key proxy-http.ts
// authenticated, and returns nothing (it answered) or a JSON value to answer with.
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ApiError } from '../../common/api-error';
import type { AuthenticatedKey } from '../api-keys/api-key.types';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { giveBackBodyBuffer } from './wire/body-buffers';
import { chatToResponsesBytes, type ChatRequest } from './wire/chat-request';
import { ChatTranslator } from './wire/chat-translate';
import type { Exchange } from './exchange';
import { BODY_LIMITS, JsonMembers } from './wire/json-members';
import { ModelsService } from './models.service';
import { sendJson, sendJsonText } from './proxy-call';
import { badBody, streamError } from './proxy-errors';
import {
  ProxyService,
  type Adapter,
  type OpenUpstream,
  type ProxyRequest,
  type StringFields,
  type Terminal,
  STICKY_INPUT_MAX_CHARS,
} from './proxy.service';
import { turnBindingKey } from './routing/account-selector';
import { SseObserver } from './wire/sse-observer';
import { UNSUPPORTED_FIELDS, upstreamResponsesBody } from './upstream/upstream-request';

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

const INCOMPLETE = 'The upstream response did not complete.';
const DISCONNECTED = 'The upstream closed the stream before the response completed.';

/**
 * Reads the request: a body the scanner refuses, or a member that does not decode (a bad escape
 * in `model`), is the client's mistake, a 400, never a 500.
 */
function parse<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badBody(`The request body is not valid: ${(error as Error).message}.`);
  }
}

/**
 * Proxy routes receive the raw body bytes (see proxy-http.ts); this scans them, recognising only
 * the key owner's own repeated values.
 */
function membersOf(exchange: Exchange, key: AuthenticatedKey): JsonMembers {
  const body = exchange.body;
  if (!body || body.length === 0) throw badBody('The request body must be a JSON object.');
  return JsonMembers.scan(body, null, BODY_LIMITS, key.ownerUserId);
}

/** The start of the instructions' JSON text (without its quote), for a derived soft key. */
function instructionsPrefix(json: JsonMembers): Buffer {
  const member = json.members.get('instructions');
  if (!member) return Buffer.alloc(0);
  return json.buf.subarray(member.valueStart + 1, Math.min(member.end, member.valueStart + 1 + 2048));
}

/**
 * A compact request as a /responses request: the trigger appended to the input, the fields the
 * backend rejects dropped, streamed and not stored. `kept`: the user messages the answer keeps.
 */
function compactionRequest(raw: Buffer): { upstreamBody: string; kept: Json[] } {
  const body = JSON.parse(raw.toString('utf8')) as Json;
  const input: Json[] =
    typeof body.input === 'string'
      ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] }]
      : Array.isArray(body.input)
        ? (body.input as Json[])
        : [];
  for (const field of UNSUPPORTED_FIELDS) delete body[field];
  const kept = input.filter((item) => item?.type === 'message' && item.role === 'user');
  return {
    upstreamBody: JSON.stringify({
      ...body,
      input: [...input, { type: 'compaction_trigger' }],
      stream: true,
      store: false,
    }),
    kept,
  };
}

function failedStatus(terminal: Terminal): boolean {
  return terminal !== 'completed' && terminal !== 'incomplete';
}

function sendIncomplete(exchange: Exchange, code: string | null): number {
  sendJson(exchange.res, 502, { error: { message: INCOMPLETE, type: 'server_error', code, param: null } }, exchange.id);
  return 502;
}

/** The last event of a Codex stream the upstream broke off: Codex reports response.failed. */
function codexFailedEvent(responseId: string | null): string {
  const response = {
    id: responseId,
    object: 'response',
    status: 'failed',
    error: streamError('upstream_disconnected', DISCONNECTED),
  };
  return `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response })}\n\n`;
}

/** The same for OpenAI SDKs: an error event (its `error` member makes the SDK raise). */
function errorEvent(): string {
  const error = streamError('upstream_disconnected', DISCONNECTED);
  return `event: error\ndata: ${JSON.stringify({ type: 'error', code: error.code, message: error.message, param: null, error })}\n\n`;
}

/** A chat stream's error chunk (the SDK raises on a chunk with `error`), then the end marker. */
function chatErrorChunk(): string {
  return `data: ${JSON.stringify({ error: streamError('upstream_disconnected', DISCONNECTED) })}\n\ndata: [DONE]\n\n`;
}

@Injectable()
export class ProxyRoutes {
  constructor(
    private readonly proxy: ProxyService,
    private readonly apiKeys: ApiKeysService,
    private readonly models: ModelsService,
  ) {}

  private request(exchange: Exchange, key: AuthenticatedKey, spec: RequestSpec): ProxyRequest {
    const { hardKeys, softKey } = parse(() =>
      this.proxy.stickiness(key, exchange.headers, spec.fields, spec.deriveFrom),
    );
    return {
      exchange,
      key,
      route: spec.route,
      model: spec.model,
      stream: spec.stream,
      path: spec.path,
      body: spec.upstreamBody,
      accept: spec.accept,
      hardKeys,
      softKey,
    };
  }

  /** Codex CLI's route: always a stream, passed through. */
  codexResponses(exchange: Exchange, key: AuthenticatedKey): Promise<void> {
    return this.responsesRoute(exchange, key, '/backend-api/codex/responses', false);
  }

  /** /v1/responses: streamed through, or collected for non-stream clients. */
  responses(exchange: Exchange, key: AuthenticatedKey): Promise<void> {
    return this.responsesRoute(exchange, key, '/v1/responses', true);
  }

  private async responsesRoute(
    exchange: Exchange,
    key: AuthenticatedKey,
    route: string,
    fromV1: boolean,
  ): Promise<void> {
    const json = parse(() => membersOf(exchange, key));
    const model = parse(() => json.string('model'));
    this.proxy.checkModel(key, model);
    const passthrough = fromV1 ? json.raw('stream') === 'true' : true;
    const req = this.request(exchange, key, {
      route,
      path: '/codex/responses',
      accept: 'text/event-stream',
      model,
      stream: passthrough,
      fields: json,
      upstreamBody: parse(() => upstreamResponsesBody(json)),
      deriveFrom: fromV1 ? instructionsPrefix(json) : null,
    });
    let observer: SseObserver;
    let resume: () => void;
    const adapter: Adapter = {
      start: (open) => {
        observer = new SseObserver(!passthrough, open.readQuota, key.ownerUserId);
        resume = () => open.response.resume();
        const turnState = this.bindTurnState(key, open);
        if (passthrough) {
          exchange.streamHead(open.response.header('content-type') ?? 'text/event-stream', turnState);
        } else if (turnState !== null) {
          exchange.res.setHeader('x-codex-turn-state', turnState);
        }
      },
      chunk: (chunk) => {
        observer.push(chunk);
        if (passthrough) return exchange.write(chunk, resume);
      },
      finish: (_cut, open) => {
        observer.end();
        if (observer.quota) this.proxy.observeQuota(open.account.id, observer.quota);
        const terminal = observer.terminal;
        let httpStatus = 200;
        if (passthrough) {
          if (terminal === null) exchange.write(fromV1 ? errorEvent() : codexFailedEvent(observer.responseId), resume);
          exchange.end();
        } else if (!failedStatus(terminal) && observer.completedResponse) {
          exchange.answerJsonText(200, JSON.stringify(observer.completedResponse));
        } else {
          httpStatus = sendIncomplete(exchange, observer.errorCode ?? 'upstream_disconnected');
        }
        return {
          terminal,
          errorCode: observer.errorCode,
          usage: observer.usage,
          responseId: observer.responseId,
          model: observer.model,
          httpStatus,
        };
      },
    };
    await this.proxy.run(req, adapter);
  }

  /**
   * The upstream's x-codex-turn-state, bound to the account that made it: the client echoes it
   * within the turn, and those requests must stay on that account. Returns it for the client's
   * answer (null when there is none to pass on).
   */
  private bindTurnState(key: AuthenticatedKey, open: OpenUpstream): string | null {
    const turnState = open.response.header('x-codex-turn-state');
    if (!turnState || turnState.length > STICKY_INPUT_MAX_CHARS) return null;
    this.proxy.selector.remember(open.account.id, [turnBindingKey(key.ownerUserId, turnState)], null);
    return turnState;
  }

  /** /v1/chat/completions over the Responses API, streamed as chunks or answered whole. */
  async chatCompletions(exchange: Exchange, key: AuthenticatedKey): Promise<void> {
    const body = exchange.body;
    if (!body || body.length === 0) throw badBody('The request body must be a JSON object.');
    const chat = parse(() => chatToResponsesBytes(body, (model) => this.proxy.checkModel(key, model), key.ownerUserId));
    try {
      await this.chatExchange(exchange, key, chat);
    } finally {
      // run() has returned: no upstream request is writing from the translated body any more.
      giveBackBodyBuffer(chat.body);
    }
  }

  private async chatExchange(exchange: Exchange, key: AuthenticatedKey, chat: ChatRequest): Promise<void> {
    const { model, stream, includeUsage } = chat;
    const req = this.request(exchange, key, {
      route: '/v1/chat/completions',
      path: '/codex/responses',
      accept: 'text/event-stream',
      model,
      stream,
      fields: { string: (name) => (name === 'prompt_cache_key' ? chat.promptCacheKey : null) },
      upstreamBody: chat.body,
      deriveFrom: chat.instructionsPrefix,
    });
    let translator: ChatTranslator;
    let resume: () => void;
    const adapter: Adapter = {
      start: (open) => {
        translator = new ChatTranslator(model, stream, includeUsage, open.readQuota, key.ownerUserId);
        resume = () => open.response.resume();
        if (stream) exchange.streamHead('text/event-stream');
      },
      chunk: (chunk) => {
        const out = translator.push(chunk);
        if (stream && out.length > 0) return exchange.write(out, resume);
      },
      finish: (_cut, open) => {
        if (translator.quota) this.proxy.observeQuota(open.account.id, translator.quota);
        const terminal = translator.terminal;
        let httpStatus = 200;
        if (stream) {
          // A failed response already ended the stream with its own error chunk.
          if (terminal === null) exchange.write(chatErrorChunk(), resume);
          exchange.end();
        } else if (!failedStatus(terminal)) {
          exchange.answerJsonText(200, translator.completionJson());
        } else {
          httpStatus = sendIncomplete(exchange, translator.failed ?? 'upstream_disconnected');
        }
        return {
          terminal,
          errorCode: translator.failed,
          usage: translator.usage,
          // A chat completion cannot be continued by response id (Chat Completions has no
          // previous_response_id), so there is no binding to remember.
          responseId: null,
          model: translator.model,
          httpStatus,
        };
      },
    };
    await this.proxy.run(req, adapter);
  }

  /**
   * Codex's legacy compact endpoint. The upstream no longer serves it: the request becomes an
   * ordinary streamed /responses request whose input ends with a `compaction_trigger` item, and
   * the answer is the compact endpoint's JSON: the user messages kept, then exactly one
   * compaction item (the upstream's).
   */
  async compact(exchange: Exchange, key: AuthenticatedKey): Promise<void> {
    const json = parse(() => membersOf(exchange, key));
    const model = parse(() => json.string('model'));
    this.proxy.checkModel(key, model);
    const { upstreamBody, kept } = parse(() => compactionRequest(json.buf));
    const req = this.request(exchange, key, {
      route: '/backend-api/codex/responses/compact',
      path: '/codex/responses',
      accept: 'text/event-stream',
      model,
      stream: false,
      fields: json,
      upstreamBody,
      deriveFrom: null,
    });
    let observer: SseObserver;
    const adapter: Adapter = {
      start: (open) => {
        observer = new SseObserver(true, open.readQuota, key.ownerUserId);
      },
      chunk: (chunk) => {
        observer.push(chunk);
      },
      finish: (_cut, open) => {
        observer.end();
        if (observer.quota) this.proxy.observeQuota(open.account.id, observer.quota);
        let terminal = observer.terminal;
        let errorCode = observer.errorCode;
        const response = observer.completedResponse;
        const compaction = Array.isArray(response?.output)
          ? (response.output as Json[]).filter((item) => item?.type === 'compaction')
          : [];
        let httpStatus = 200;
        if (!failedStatus(terminal) && response && compaction.length === 1) {
          sendJson(
            exchange.res,
            200,
            {
              id: response.id ?? null,
              object: 'response.compaction',
              created_at: response.created_at ?? Math.floor(Date.now() / 1000),
              output: [...kept, compaction[0]],
              usage: response.usage ?? null,
            },
            exchange.id,
          );
        } else {
          if (!failedStatus(terminal)) {
            terminal = 'failed';
            errorCode = 'invalid_upstream_json';
          }
          httpStatus = sendIncomplete(exchange, errorCode ?? 'upstream_disconnected');
        }
        return { terminal, errorCode, usage: observer.usage, responseId: null, model, httpStatus };
      },
    };
    await this.proxy.run(req, adapter);
  }

  /**
   * Codex's model catalogue with an ETag of exactly what this key is shown: a client that sends
   * it back in If-None-Match gets a 304.
   */
  async codexModels(exchange: Exchange, key: AuthenticatedKey): Promise<void> {
    const clientVersion = new URLSearchParams(exchange.search).get('client_version');
    const text = JSON.stringify(await this.models.codexCatalogue(key, clientVersion));
    const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
    const res = exchange.res;
    const match = exchange.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      res.writeHead(304, { etag, 'x-request-id': exchange.id });
      res.end();
      return;
    }
    res.setHeader('etag', etag);
    sendJsonText(res, 200, text, exchange.id);
  }

  openAiModels(_exchange: Exchange, key: AuthenticatedKey): Promise<unknown> {
    return this.models.openAiList(key);
  }

  /** The key's own usage and limits; never the pool's quota. */
  async usage(_exchange: Exchange, key: AuthenticatedKey): Promise<unknown> {
    const usage = await this.apiKeys.usageForKey(key.id);
    return { object: 'usage', api_key: { id: key.id, name: key.name }, ...usage };
  }
}
