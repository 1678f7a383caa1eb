// The OpenAPI schemas of the DTOs, derived from the rules they already declare (common/
// validation.ts), so no DTO needs a second, documentation-only set of decorators. Each rule is
// registered with class-validator under its name (text, int, oneOf, uuid, list, ...); its limits
// live in the rule's closure and are read back from the message the rule gives for a value
// that breaks them. @Optional fields are not required; @Nullable ones are nullable too. Nested
// DTOs come from class-transformer's @Type. The result is applied as @ApiProperty metadata.
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type DtoClass = abstract new (...args: never[]) => unknown;
type Schema = Record<string, unknown>;

interface Storage {
  validationMetadatas: Map<DtoClass, ValidationMetadata[]>;
  getTargetValidationMetadatas(
    target: DtoClass,
    schema: string,
    always: boolean,
    strict: boolean,
  ): ValidationMetadata[];
}

const applied = new WeakSet<DtoClass>();

/** The message a rule gives for `value` (its phrase after the field name), or null. */
function messageFor(metadata: ValidationMetadata, value: unknown): string | null {
  const message = metadata.message;
  if (typeof message !== 'function') return null;
  try {
    const args = { property: '', value, constraints: [], object: {}, targetName: '' } as ValidationArguments;
    const text = message(args);
    return typeof text === 'string' ? text.replace(/^(\.\d+)?\s*/, '') : null;
  } catch {
    return null;
  }
}

/** The schema one named rule describes, with the limits its messages state. */
function ruleSchema(metadata: ValidationMetadata): Schema | null {
  const each = metadata.each === true;
  const probe = (value: unknown) => messageFor(metadata, each ? [value] : value);
  switch (metadata.name) {
    case 'text': {
      const schema: Schema = { type: 'string' };
      const tooLong = /at most (\d+) characters/.exec(probe('x'.repeat(1_000_001)) ?? '');
      if (tooLong) schema.maxLength = Number(tooLong[1]);
      const empty = probe('') ?? '';
      if (empty.includes('must not be empty')) schema.minLength = 1;
      const tooShort = /at least (\d+) characters/.exec(empty);
      if (tooShort) schema.minLength = Number(tooShort[1]);
      return schema;
    }
    case 'int':
    case 'number': {
      const schema: Schema = { type: metadata.name === 'int' ? 'integer' : 'number' };
      const range = /between (-?[\d.e+]+) and (-?[\d.e+]+)/.exec(probe('not a number') ?? '');
      if (range) {
        schema.minimum = Number(range[1]);
        schema.maximum = Number(range[2]);
      } else {
        const above = /greater than (-?[\d.e+]+)/.exec(probe(-1e300) ?? '');
        if (above) {
          schema.minimum = Number(above[1]);
          schema.exclusiveMinimum = true;
        }
        const most = /at most (-?[\d.e+]+)/.exec(probe(1e300) ?? '');
        if (most) schema.maximum = Number(most[1]);
      }
      return schema;
    }
    case 'bool':
      return { type: 'boolean' };
    case 'oneOf': {
      const values = /must be one of (.*)$/.exec(probe('\u0000') ?? '');
      return values ? { type: 'string', enum: values[1].split(', ') } : { type: 'string' };
    }
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    case 'dateTime':
      return { type: 'string', format: 'date-time' };
    default:
      return null;
  }
}

function maxItems(metadata: ValidationMetadata): number | null {
  const match = /at most (\d+) items/.exec(messageFor(metadata, new Array(100_001).fill(0)) ?? '');
  return match ? Number(match[1]) : null;
}

/** @Optional: null is still validated; @Nullable: null skips validation (a null clears). */
function conditional(metadata: ValidationMetadata): { optional: boolean; nullable: boolean } {
  const condition = metadata.constraints?.[0] as ((object: object, value: unknown) => boolean) | undefined;
  if (typeof condition !== 'function') return { optional: false, nullable: false };
  try {
    const skipsUndefined = condition({}, undefined) === false;
    const skipsNull = condition({}, null) === false;
    return { optional: skipsUndefined, nullable: skipsNull };
  } catch {
    return { optional: false, nullable: false };
  }
}

function propertyOptions(target: DtoClass, property: string, rules: ValidationMetadata[]): ApiPropertyOptions {
  let optional = false;
  let nullable = false;
  let isArray = false;
  let arrayLimit: number | null = null;
  let item: Schema | null = null;
  let nested: DtoClass | null = null;
  for (const metadata of rules) {
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      const found = conditional(metadata);
      optional ||= found.optional;
      nullable ||= found.nullable;
    } else if (metadata.type === ValidationTypes.NESTED_VALIDATION) {
      if (metadata.each) isArray = true;
    } else if (metadata.name === 'list') {
      isArray = true;
      arrayLimit = maxItems(metadata);
    } else {
      const schema = ruleSchema(metadata);
      if (schema) item = { ...(item ?? {}), ...schema };
      if (metadata.each) isArray = true;
    }
  }
  const typeMetadata = defaultMetadataStorage.findTypeMetadata(target, property);
  const typeFunction = typeMetadata?.typeFunction as ((options?: unknown) => unknown) | undefined;
  const declared = typeFunction?.(undefined);
  if (typeof declared === 'function' && declared !== Date) nested = declared as DtoClass;

  const options: Record<string, unknown> = { required: !optional };
  if (nullable) options.nullable = true;
  if (nested) {
    applyTo(nested);
    options.type = nested;
    if (isArray) options.isArray = true;
  } else if (isArray) {
    options.type = 'array';
    options.items = item ?? {};
  } else if (item) {
    Object.assign(options, item);
  }
  if (isArray && arrayLimit !== null) options.maxItems = arrayLimit;
  return options as ApiPropertyOptions;
}

function applyTo(target: DtoClass): void {
  if (applied.has(target)) return;
  applied.add(target);
  const storage = getMetadataStorage() as unknown as Storage;
  const all = storage.getTargetValidationMetadatas(target, '', true, false);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const metadata of all) {
    const list = byProperty.get(metadata.propertyName) ?? [];
    list.push(metadata);
    byProperty.set(metadata.propertyName, list);
  }
  for (const [property, rules] of byProperty) {
    ApiProperty(propertyOptions(target, property, rules))(target.prototype as object, property);
  }
}

/** Gives every class with validation rules its @ApiProperty metadata (once per class). */
export function applyValidationSchemas(): void {
  const storage = getMetadataStorage() as unknown as Storage;
  for (const target of storage.validationMetadatas.keys()) {
    if (typeof target === 'function') applyTo(target);
  }
}
