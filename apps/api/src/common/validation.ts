// One validation vocabulary for every DTO, and the one pipe that runs it.
//
// - Strings (`Text`): no NUL or other control characters, well-formed UTF-16 (no lone surrogate
//   halves), a length that fits the column, trimmed unless told otherwise.
// - Numbers (`Int`, `Num`) and dates (`DateTime`) are range-checked, so a value that parses can
//   also be stored and compared in Postgres (no `offset=1e20`, no year 275760).
// - `Optional()` means "may be absent", never "may be null": null is a value and is checked like
//   any other. `Nullable()` says that null is allowed (the column is nullable and null clears it).
// - Unknown members are refused by one linear walk before class-transformer runs (its key
//   handling is quadratic), and every message is capped in size.
//
// A failed rule answers 400 `validation_failed` with a message that names the field.
import {
  type ArgumentMetadata,
  Injectable,
  Param,
  ParseUUIDPipe,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { Transform } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import {
  getMetadataStorage,
  isISO8601,
  isUUID,
  registerDecorator,
  ValidateIf,
  type ValidationArguments,
} from 'class-validator';
import { ApiError } from './api-error';

// ---- plain checks, also used outside DTOs (login, id-token claims) ----

// The point of these two is to find control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextRules {
  /** Longest accepted value in UTF-16 code units (never more characters than the column holds). */
  max: number;
  /** Shortest accepted value, after trimming. Default 0. */
  min?: number;
  /** Control characters other than NUL allowed (passwords). Default false. */
  allowControl?: boolean;
  pattern?: RegExp;
  /** The sentence after the field name when `pattern` fails. */
  patternMessage?: string;
}

/** What is wrong with a string (a phrase to put after the field name), or null. */
export function textProblem(value: unknown, rules: TextRules): string | null {
  if (value === undefined) return 'is required';
  if (value === null) return 'must not be null';
  if (typeof value !== 'string') return 'must be a string';
  if (NUL.test(value)) return 'must not contain NUL characters';
  if (!rules.allowControl && CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (it has an unpaired surrogate)';
  const min = rules.min ?? 0;
  if (value.length < min) return min === 1 ? 'must not be empty' : `must be at least ${min} characters`;
  if (value.length > rules.max) return `must be at most ${rules.max} characters`;
  if (rules.pattern && !rules.pattern.test(value)) return rules.patternMessage ?? 'has an invalid format';
  return null;
}

/** A short, safe excerpt of untrusted text for an error message. */
export function excerpt(value: string, max = 32): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

// Dates Postgres and JavaScript agree on, and that a person could mean.
const MIN_DATE_MS = Date.UTC(1970, 0, 1);
const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isSaneDate(date: Date): boolean {
  const ms = date.getTime();
  return Number.isFinite(ms) && ms >= MIN_DATE_MS && ms <= MAX_DATE_MS;
}

// ---- decorators ----

type Check = (value: unknown) => string | null;

/**
 * Registers one rule whose message is the field name followed by the check's phrase. With
 * `each`, an array's items are checked and the first bad one is named by index; a value that is
 * not an array is left to `List`.
 */
function rule(name: string, check: Check, each = false): PropertyDecorator {
  const firstBad = (value: unknown): number =>
    Array.isArray(value) ? value.findIndex((item) => check(item) !== null) : -1;
  return (target, propertyName) => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args: ValidationArguments) => {
          if (!each) return `${args.property} ${check(args.value) ?? 'is invalid'}`;
          const index = firstBad(args.value);
          return `${args.property}.${index} ${check((args.value as unknown[])[index]) ?? 'is invalid'}`;
        },
      },
      validator: { validate: (value: unknown) => (each ? firstBad(value) < 0 : check(value) === null) },
    });
  };
}

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of decorators) decorator(target, key);
  };
}

const trimValue = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const trimEach = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item.trim() : item)) : value;

/** The field may be absent. `null` is still validated (and refused by every rule below). */
export const Optional = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** The field may be absent or null (a nullable column, where null clears the value). */
export const Nullable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined && value !== null);

export interface TextOptions extends TextRules {
  /** Trim surrounding whitespace before checking. Default true. */
  trim?: boolean;
  /** Validate each item of an array instead (use with `List`). */
  each?: boolean;
}

/** A string that fits its column: no NUL or control characters, well-formed, within length. */
export function Text(options: TextOptions): PropertyDecorator {
  const check: Check = (value) => textProblem(value, options);
  const decorators = [rule('text', check, options.each)];
  if (options.trim !== false) decorators.unshift(Transform(options.each ? trimEach : trimValue));
  return compose(...decorators);
}

export interface NumberRange {
  min: number;
  max: number;
  /** The minimum itself is refused (`max` of a limit must be greater than 0). */
  minExclusive?: boolean;
}

function numberProblem(value: unknown, range: NumberRange, integer: boolean): string | null {
  if (value === undefined) return 'is required';
  if (value === null) return 'must not be null';
  const kind = integer ? 'an integer' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return range.minExclusive ? `must be ${kind}` : `must be ${kind} between ${range.min} and ${range.max}`;
  }
  if (range.minExclusive ? value <= range.min : value < range.min) {
    return range.minExclusive
      ? `must be greater than ${range.min}`
      : `must be ${kind} between ${range.min} and ${range.max}`;
  }
  if (value > range.max) {
    return range.minExclusive
      ? `must be at most ${range.max}`
      : `must be ${kind} between ${range.min} and ${range.max}`;
  }
  return null;
}

/** Query strings carry numbers as text: only plain decimal integers convert, the rest fail. */
const queryInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;

/** A whole number within a range. `query: true` converts a query string's text first. */
export function Int(range: NumberRange & { query?: boolean }): PropertyDecorator {
  const check: Check = (value) => numberProblem(value, range, true);
  return range.query ? compose(Transform(queryInt), rule('int', check)) : rule('int', check);
}

/** A finite number within a range. */
export function Num(range: NumberRange): PropertyDecorator {
  return rule('number', (value) => numberProblem(value, range, false));
}

/** true or false; `query: true` also takes the text "true" and "false". */
export function Bool(options: { query?: boolean } = {}): PropertyDecorator {
  const check: Check = (value) =>
    value === undefined
      ? 'is required'
      : value === null
        ? 'must not be null'
        : typeof value === 'boolean'
          ? null
          : 'must be true or false';
  const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
  return options.query ? compose(Transform(toBool), rule('bool', check)) : rule('bool', check);
}

/** One of a fixed list of strings. */
export function OneOf(values: readonly string[], options: { each?: boolean } = {}): PropertyDecorator {
  const allowed = new Set(values);
  const check: Check = (value) =>
    value === null
      ? 'must not be null'
      : typeof value === 'string' && allowed.has(value)
        ? null
        : `must be one of ${values.join(', ')}`;
  return rule('oneOf', check, options.each);
}

/** A UUID (any version), as every id in this API is. */
export function Uuid(options: { each?: boolean; what?: string } = {}): PropertyDecorator {
  const check: Check = (value) =>
    value === null
      ? 'must not be null'
      : typeof value === 'string' && isUUID(value)
        ? null
        : `must be ${options.what ?? 'an id'} (UUID)`;
  return rule('uuid', check, options.each);
}

/** A strict ISO 8601 date-time between 1970 and 9999. */
export function DateTime(): PropertyDecorator {
  const check: Check = (value) => {
    if (value === null) return 'must not be null';
    if (typeof value !== 'string' || value.length > 40 || !isISO8601(value, { strict: true })) {
      return 'must be an ISO 8601 date-time';
    }
    return isSaneDate(new Date(value)) ? null : 'must be a date between 1970 and 9999';
  };
  return rule('dateTime', check);
}

/** An array of at most `max` items (validate the items with `each` on another rule). */
export function List(options: { max: number }): PropertyDecorator {
  const check: Check = (value) =>
    value === undefined
      ? 'is required'
      : value === null
        ? 'must not be null'
        : !Array.isArray(value)
          ? 'must be an array'
          : value.length > options.max
            ? `must have at most ${options.max} items`
            : null;
  return rule('list', check);
}

// ---- unknown members, before any work ----

type DtoClass = abstract new (...args: never[]) => unknown;

interface DtoShape {
  allowed: Set<string>;
  /** Properties holding nested DTOs (class-transformer `@Type`), by name. */
  nested: Map<string, DtoClass>;
}

const shapes = new WeakMap<DtoClass, DtoShape | null>();

/** The members a DTO class declares, or null when the class has no validation rules. */
function shapeOf(type: DtoClass): DtoShape | null {
  let shape = shapes.get(type);
  if (shape !== undefined) return shape;
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  if (metadata.length === 0) {
    shape = null;
  } else {
    const allowed = new Set(metadata.map((entry) => entry.propertyName));
    const nested = new Map<string, DtoClass>();
    for (const name of allowed) {
      const typeMetadata = defaultMetadataStorage.findTypeMetadata(type, name);
      const nestedType = typeMetadata?.typeFunction(undefined) as DtoClass | undefined;
      if (typeof nestedType === 'function' && nestedType !== Date) nested.set(name, nestedType);
    }
    shape = { allowed, nested };
  }
  shapes.set(type, shape);
  return shape;
}

const UNKNOWN_NAMES_SHOWN = 3;

/**
 * Refuses members a DTO does not declare, at any depth, in one pass with an explicit stack.
 * The message names at most three of them, each cut to a short excerpt.
 */
export function refuseUnknownMembers(value: object, type: DtoClass): void {
  const shape = shapeOf(type);
  if (!shape) return;
  const names: string[] = [];
  let count = 0;
  const stack: Array<{ value: object; shape: DtoShape; path: string }> = [{ value, shape, path: '' }];
  while (stack.length > 0) {
    const { value: current, shape: currentShape, path } = stack.pop()!;
    for (const key in current) {
      if (!Object.prototype.hasOwnProperty.call(current, key)) continue;
      if (!currentShape.allowed.has(key)) {
        if (++count <= UNKNOWN_NAMES_SHOWN) names.push(path + excerpt(key));
        continue;
      }
      const nestedType = currentShape.nested.get(key);
      const nestedShape = nestedType ? shapeOf(nestedType) : null;
      if (!nestedShape) continue;
      const child = (current as Record<string, unknown>)[key];
      const items = Array.isArray(child) ? child : [child];
      items.forEach((item, index) => {
        if (item && typeof item === 'object' && !Array.isArray(item)) {
          const itemPath = Array.isArray(child) ? `${path}${key}.${index}.` : `${path}${key}.`;
          stack.push({ value: item as object, shape: nestedShape, path: itemPath });
        }
      });
    }
  }
  if (count === 0) return;
  const more = count > names.length ? ` and ${count - names.length} more` : '';
  throw ApiError.badRequest(
    `Unknown ${count === 1 ? 'field' : 'fields'}: ${names.join(', ')}${more}.`,
    'validation_failed',
  );
}

// ---- the pipe ----

const MESSAGES_SHOWN = 5;
const MESSAGE_MAX = 200;

function flatten(errors: ValidationError[], prefix = '', out: string[] = []): string[] {
  const stack = errors.map((error) => ({ error, prefix })).reverse();
  while (stack.length > 0 && out.length <= MESSAGES_SHOWN) {
    const { error, prefix: parent } = stack.pop()!;
    for (const message of Object.values(error.constraints ?? {})) out.push(parent + message);
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) {
      stack.push({ error: children[i], prefix: `${parent}${error.property}.` });
    }
  }
  return out;
}

/** The 400 for failed rules: the first few messages, each capped, and how many more there were. */
export function validationError(errors: ValidationError[]): ApiError {
  const messages = flatten(errors);
  const shown = messages
    .slice(0, MESSAGES_SHOWN)
    .map((message) => (message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX)}…` : message));
  const more = messages.length > MESSAGES_SHOWN ? '; and more' : '';
  return ApiError.badRequest(`${shown.join('; ') || 'The request is invalid.'}${more}`, 'validation_failed');
}

@Injectable()
export class DtoValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      stopAtFirstError: true,
      exceptionFactory: validationError,
    });
  }

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype;
    if (type && metadata.type !== 'custom' && shapeOf(type)) {
      if (metadata.type === 'body' && value !== undefined && value !== null) {
        if (typeof value !== 'object' || Array.isArray(value)) {
          throw ApiError.badRequest('The body must be a JSON object.', 'validation_failed');
        }
      }
      if (value && typeof value === 'object' && !Array.isArray(value)) refuseUnknownMembers(value, type);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new DtoValidationPipe();
}

/** A route parameter that must be a UUID; anything else is a 400 naming the parameter. */
export function IdParam(name = 'id'): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => ApiError.badRequest(`${name} must be an id (UUID).`, 'validation_failed'),
    }),
  );
}
