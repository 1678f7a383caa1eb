// What a directory sends, checked by hand into typed inputs: SCIM bodies carry schema URNs as
// keys and attributes in any letter case, which a class-validator DTO cannot express. Every value
// is bounded here; anything wrong is a 400 in SCIM's shape naming the attribute. Unknown
// attributes are ignored, as RFC 7644 lets a service provider do.
import { textProblem } from '../../common/validation';
import { ScimError } from './scim-error';
import { FILTER_MAX_LENGTH } from './scim-filter';
import { GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA } from './scim-resources';
import type { ScimEmail, ScimUserAttributes } from './scim-users.repository';

/** Like the dashboard's usernames, plus `@` and `+`: directories name people by e-mail. */
export const SCIM_USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._@+-]{1,63}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
const TEXT_MAX = 255;
const EMAILS_MAX = 10;
export const COUNT_DEFAULT = 100;
export const COUNT_MAX = 200;
export const PATCH_OPERATIONS_MAX = 100;
/** Members one request may name (a PUT's whole list, or the values of one PATCH). */
export const MEMBERS_MAX = 1_000;

export interface UserInput extends ScimUserAttributes {
  username: string;
  active: boolean;
}

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  memberIds: string[];
}

export interface ListQuery {
  filter?: string;
  startIndex: number;
  count: number;
  /** `excludedAttributes=members` (Entra ID asks for groups without their member lists). */
  withoutMembers: boolean;
}

/** Whether `excludedAttributes` names `members` (the one exclusion that saves work here). */
export function excludesMembers(query: unknown): boolean {
  const excluded = isObject(query) ? query.excludedAttributes : undefined;
  return (
    typeof excluded === 'string' &&
    excluded.length <= 1_000 &&
    excluded.split(',').some((name) => /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members$/i.test(name.trim()))
  );
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Attribute names are case-insensitive (RFC 7643 §2.1): the member of `object` named `name`. */
function member(object: Json, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function text(value: unknown, attribute: string, max = TEXT_MAX): string | null {
  if (value === undefined || value === null || value === '') return null;
  const problem = textProblem(value, { max });
  if (problem) throw ScimError.badRequest(`${attribute} ${problem}.`);
  return (value as string).trim() || null;
}

function requireSchema(body: Json, schema: string): void {
  const schemas = member(body, 'schemas');
  if (schemas === undefined) return;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === schema.toLowerCase())
  ) {
    throw ScimError.badRequest(`schemas must include "${schema}".`, 'invalidSyntax');
  }
}

/** SCIM booleans; some directories send "True"/"False" as strings. */
export function scimBoolean(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw ScimError.badRequest(`${attribute} must be true or false.`);
}

function emailsOf(value: unknown): ScimEmail[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw ScimError.badRequest('emails must be a list.');
  if (value.length > EMAILS_MAX) throw ScimError.badRequest(`emails may hold at most ${EMAILS_MAX} addresses.`);
  return value.map((entry, index) => {
    if (!isObject(entry)) throw ScimError.badRequest(`emails[${index}] must be an object.`);
    const address = text(member(entry, 'value'), `emails[${index}].value`, 320);
    if (!address || !EMAIL_PATTERN.test(address)) {
      throw ScimError.badRequest(`emails[${index}].value must be an e-mail address.`);
    }
    const email: ScimEmail = { value: address };
    const type = text(member(entry, 'type'), `emails[${index}].type`, 32);
    if (type) email.type = type;
    const primary = member(entry, 'primary');
    if (primary !== undefined && primary !== null) email.primary = scimBoolean(primary, `emails[${index}].primary`);
    return email;
  });
}

/** A whole User (POST, PUT, and the result of applying a PATCH). */
export function parseUserInput(body: unknown): UserInput {
  if (!isObject(body)) throw ScimError.badRequest('The body must be a SCIM User object.', 'invalidSyntax');
  requireSchema(body, USER_SCHEMA);
  const username = member(body, 'userName');
  const problem = textProblem(username, { max: 64, min: 2, pattern: SCIM_USERNAME_PATTERN });
  if (problem) {
    throw ScimError.badRequest(
      `userName ${problem === 'has an invalid format' ? 'must be 2-64 letters, digits and . _ @ + -, starting with a letter or digit' : problem}.`,
    );
  }
  const name = member(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) throw ScimError.badRequest('name must be an object.');
  const active = member(body, 'active');
  return {
    username: username as string,
    active: active === undefined || active === null ? true : scimBoolean(active, 'active'),
    externalId: text(member(body, 'externalId'), 'externalId'),
    displayName: text(member(body, 'displayName'), 'displayName'),
    givenName: isObject(name) ? text(member(name, 'givenName'), 'name.givenName') : null,
    familyName: isObject(name) ? text(member(name, 'familyName'), 'name.familyName') : null,
    emails: emailsOf(member(body, 'emails')),
  };
}

/** A member list's ids (bounded, deduplicated); a value that is not an id matches no user. */
export function memberIdsOf(value: unknown, attribute = 'members'): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MEMBERS_MAX) {
    throw new ScimError(400, `${attribute} may name at most ${MEMBERS_MAX} members per request.`, 'tooMany');
  }
  const ids = list.map((entry, index) => {
    const id = isObject(entry) ? member(entry, 'value') : undefined;
    if (typeof id !== 'string' || id.length > 64)
      throw ScimError.badRequest(`${attribute}[${index}].value must be a user id.`);
    return id.toLowerCase();
  });
  return [...new Set(ids)];
}

/** A whole Group (POST, PUT). */
export function parseGroupInput(body: unknown): GroupInput {
  if (!isObject(body)) throw ScimError.badRequest('The body must be a SCIM Group object.', 'invalidSyntax');
  requireSchema(body, GROUP_SCHEMA);
  const displayName = member(body, 'displayName');
  const problem = textProblem(displayName, { max: 100, min: 1 });
  if (problem) throw ScimError.badRequest(`displayName ${problem}.`);
  return {
    displayName: (displayName as string).trim(),
    externalId: text(member(body, 'externalId'), 'externalId'),
    memberIds: memberIdsOf(member(body, 'members')),
  };
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** A PatchOp message: its operations, with lower-cased op names. */
export function parsePatch(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw ScimError.badRequest('The body must be a SCIM PatchOp message.', 'invalidSyntax');
  requireSchema(body, PATCH_SCHEMA);
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw ScimError.badRequest('Operations must be a non-empty list.', 'invalidSyntax');
  }
  if (operations.length > PATCH_OPERATIONS_MAX) {
    throw new ScimError(400, `A PATCH may hold at most ${PATCH_OPERATIONS_MAX} operations.`, 'tooMany');
  }
  return operations.map((operation, index) => {
    if (!isObject(operation)) throw ScimError.badRequest(`Operations[${index}] must be an object.`, 'invalidSyntax');
    const op = member(operation, 'op');
    if (typeof op !== 'string' || !/^(add|replace|remove)$/i.test(op)) {
      throw ScimError.badRequest(`Operations[${index}].op must be add, replace or remove.`, 'invalidSyntax');
    }
    const path = member(operation, 'path');
    if (path !== undefined && (typeof path !== 'string' || path.length > 300)) {
      throw ScimError.badRequest(`Operations[${index}].path must be a SCIM path.`, 'invalidPath');
    }
    if (op.toLowerCase() === 'remove' && !path) {
      throw ScimError.badRequest(`Operations[${index}]: remove needs a path.`, 'noTarget');
    }
    return {
      op: op.toLowerCase() as PatchOperation['op'],
      path: path as string | undefined,
      value: member(operation, 'value'),
    };
  });
}

/** startIndex is 1-based (below 1 counts as 1); count is capped at COUNT_MAX (RFC 7644 §3.4.2.4). */
export function parseListQuery(query: unknown): ListQuery {
  const q = isObject(query) ? query : {};
  const integer = (value: unknown, name: string, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value))
      throw ScimError.badRequest(`${name} must be an integer.`);
    return Number(value);
  };
  const filter = q.filter;
  if (filter !== undefined && (typeof filter !== 'string' || filter.length > FILTER_MAX_LENGTH)) {
    throw ScimError.badRequest(`filter must be at most ${FILTER_MAX_LENGTH} characters.`, 'invalidFilter');
  }
  return {
    filter: filter as string | undefined,
    startIndex: Math.max(1, integer(q.startIndex, 'startIndex', 1)),
    count: Math.min(COUNT_MAX, Math.max(0, integer(q.count, 'count', COUNT_DEFAULT))),
    withoutMembers: excludesMembers(q),
  };
}
