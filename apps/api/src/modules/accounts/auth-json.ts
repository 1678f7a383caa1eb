// Reads a Codex CLI auth.json ({tokens: {id_token, access_token, refresh_token, account_id}}),
// from a multipart upload (field `auth_json`) or a JSON body, with errors that say what is wrong.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../common/api-error';
import { jsonShapeProblem } from '../../common/json-shape';
import { textProblem } from '../../common/validation';
import { checkedAccessTokenExpiry, IdTokenError } from './id-token';
import type { TokenSet } from './upstream-auth.client';

const MAX_BYTES = 256 * 1024;
/** Tokens are JWTs or opaque strings of printable ASCII; they travel in HTTP headers. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const TOKEN_MAX = 64 * 1024;

function invalid(message: string): ApiError {
  return ApiError.badRequest(message, 'invalid_auth_json');
}

/** The raw payload of an import request: a parsed object or the uploaded file's text. */
export async function readImportPayload(request: FastifyRequest): Promise<unknown> {
  if (!request.isMultipart()) return request.body;
  try {
    for await (const part of request.parts({ limits: { fileSize: MAX_BYTES, files: 1, fields: 5 } })) {
      if (part.fieldname !== 'auth_json') {
        if (part.type === 'file') await part.toBuffer();
        continue;
      }
      if (part.type === 'file') {
        const buffer = await part.toBuffer();
        if (part.file.truncated) throw invalid('auth_json is larger than 256 KB.');
        return buffer.toString('utf8');
      }
      return String(part.value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // Busboy and @fastify/multipart errors: a cut or malformed body, a missing boundary, too
    // many parts or a file over the limit. None of them is the server's fault.
    const limit = (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
    throw invalid(
      limit
        ? 'auth_json is larger than 256 KB.'
        : 'The upload is not valid multipart/form-data with an auth_json field.',
    );
  }
  throw invalid('The upload has no auth_json field. Send the file as multipart field "auth_json".');
}

export function parseAuthJson(payload: unknown): { tokens: TokenSet; accountId: string | null } {
  let data = payload;
  if (typeof payload === 'string') {
    const shape = jsonShapeProblem(payload);
    if (shape) throw invalid(`auth_json is not a Codex auth.json: ${shape}`);
    try {
      data = JSON.parse(payload);
    } catch {
      throw invalid('auth_json is not valid JSON.');
    }
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid('Send the content of a Codex auth.json file: a JSON object with "tokens".');
  }
  const tokens = (data as Record<string, unknown>).tokens;
  if (!tokens || typeof tokens !== 'object')
    throw invalid('auth.json has no "tokens" object (was it signed in with an API key?).');
  const t = tokens as Record<string, unknown>;
  const missing = ['id_token', 'access_token', 'refresh_token'].filter(
    (key) => typeof t[key] !== 'string' || t[key] === '',
  );
  if (missing.length > 0) throw invalid(`auth.json is missing tokens.${missing.join(', tokens.')}.`);
  for (const key of ['id_token', 'access_token', 'refresh_token']) {
    const problem = textProblem(t[key], {
      max: TOKEN_MAX,
      pattern: TOKEN_PATTERN,
      patternMessage: 'must be printable ASCII',
    });
    if (problem) throw invalid(`auth.json tokens.${key} ${problem}.`);
  }
  let accountId: string | null = null;
  if (t.account_id !== undefined && t.account_id !== null) {
    const problem = textProblem(t.account_id, { max: 128 });
    if (problem) throw invalid(`auth.json tokens.account_id ${problem}.`);
    accountId = t.account_id as string;
  }
  try {
    checkedAccessTokenExpiry(t.access_token as string);
  } catch (error) {
    if (error instanceof IdTokenError) throw invalid(`The access token is not usable: ${error.message}.`);
    throw error;
  }
  return {
    tokens: {
      idToken: t.id_token as string,
      accessToken: t.access_token as string,
      refreshToken: t.refresh_token as string,
    },
    accountId,
  };
}
