// SCIM filters (RFC 7644 §3.4.2.2) turned into SQL. scim2-parse-filter parses the expression;
// this file maps its tree onto the columns an attribute table names, with every value a bound
// parameter. Supported: eq ne co sw ew pr on strings, eq ne pr on booleans, and/or/not, and
// `emails[value eq "..."]`. Attribute names are case-insensitive and may carry the core schema's
// URN; string comparisons follow each attribute's caseExact. Anything else is a 400 with
// scimType invalidFilter, never a query.
import { parse, type Filter } from 'scim2-parse-filter';
import { ScimError } from './scim-error';

export const FILTER_MAX_LENGTH = 1_000;
/** Comparisons one filter may hold (each is a bound parameter). */
const COMPARISONS_MAX = 20;

export interface FilterAttribute {
  type: 'string' | 'boolean';
  /** An SQL expression of the attribute's value (a column of the list query). */
  column?: string;
  /** A multi-valued attribute: SQL that is true when some element's text satisfies `test`. */
  some?: (test: (element: string) => string) => string;
  caseExact?: boolean;
}

export type FilterAttributes = Readonly<Record<string, FilterAttribute>>;

export interface SqlFilter {
  sql: string;
  params: unknown[];
}

function invalid(detail: string): ScimError {
  return ScimError.badRequest(detail, 'invalidFilter');
}

/** The SQL condition for `filter` (true when there is none), its parameters numbered from `first`. */
export function filterToSql(
  filter: string | undefined,
  attributes: FilterAttributes,
  schemaUrn: string,
  first = 1,
): SqlFilter {
  if (filter === undefined || filter.trim() === '') return { sql: 'true', params: [] };
  if (filter.length > FILTER_MAX_LENGTH) throw invalid(`The filter is longer than ${FILTER_MAX_LENGTH} characters.`);
  let tree: Filter;
  try {
    tree = parse(filter);
  } catch {
    throw invalid('The filter is not a valid SCIM filter expression.');
  }
  const params: unknown[] = [];
  const param = (value: unknown) => {
    if (params.length >= COMPARISONS_MAX) throw invalid(`A filter may hold at most ${COMPARISONS_MAX} comparisons.`);
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  const byName = new Map(Object.entries(attributes).map(([name, attribute]) => [name.toLowerCase(), attribute]));
  const prefix = `${schemaUrn.toLowerCase()}:`;
  const attributeOf = (path: string): FilterAttribute => {
    let name = path.toLowerCase();
    if (name.startsWith(prefix)) name = name.slice(prefix.length);
    const attribute = byName.get(name);
    if (!attribute) throw invalid(`Filtering on "${path.slice(0, 100)}" is not supported.`);
    return attribute;
  };

  const compare = (attribute: FilterAttribute, op: string, value: unknown, path: string) => {
    const test = (expression: string): string => {
      if (op === 'pr')
        return attribute.type === 'string'
          ? `(${expression} IS NOT NULL AND ${expression} <> '')`
          : `(${expression} IS NOT NULL)`;
      if (attribute.type === 'boolean') {
        if (typeof value !== 'boolean') throw invalid(`"${path.slice(0, 100)}" compares with true or false.`);
        if (op === 'eq') return `(${expression} = ${param(value)})`;
        if (op === 'ne') return `(${expression} IS DISTINCT FROM ${param(value)})`;
        throw invalid(`"${op}" does not apply to "${path.slice(0, 100)}".`);
      }
      if (typeof value !== 'string') throw invalid(`"${path.slice(0, 100)}" compares with a string.`);
      const [left, right] = attribute.caseExact ? [expression, '%s'] : [`lower(${expression})`, 'lower(%s)'];
      const bound = (text: string) => right.replace('%s', `${param(text)}::text`);
      const like = (pattern: string) => `(${left} LIKE ${bound(pattern)} ESCAPE '\\')`;
      const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
      switch (op) {
        case 'eq':
          return `(${left} = ${bound(value)})`;
        case 'ne':
          return `(${left} IS DISTINCT FROM ${bound(value)})`;
        case 'co':
          return like(`%${escaped}%`);
        case 'sw':
          return like(`${escaped}%`);
        case 'ew':
          return like(`%${escaped}`);
        default:
          throw invalid(`The operator "${op}" is not supported on "${path.slice(0, 100)}".`);
      }
    };
    if (attribute.some) return attribute.some(test);
    return test(attribute.column!);
  };

  const walk = (node: Filter, depth: number): string => {
    if (depth > 20) throw invalid('The filter nests too deeply.');
    switch (node.op) {
      case 'and':
      case 'or': {
        const parts = (node as { filters: Filter[] }).filters.map((child) => walk(child, depth + 1));
        return `(${parts.join(node.op === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `(NOT COALESCE(${walk((node as { filter: Filter }).filter, depth + 1)}, false))`;
      case '[]': {
        // emails[value eq "x"]: only a comparison on the element's value.
        const { attrPath, valFilter } = node as { attrPath: string; valFilter: Filter };
        const inner = valFilter as { op: string; attrPath?: string; compValue?: unknown };
        if (!inner.attrPath || inner.attrPath.toLowerCase() !== 'value') {
          throw invalid(`Only "${attrPath.slice(0, 100)}[value ...]" is supported in a value filter.`);
        }
        const attribute = attributeOf(`${attrPath}.value`);
        return compare(attribute, inner.op, inner.compValue, `${attrPath}.value`);
      }
      default: {
        const { attrPath, compValue } = node as { attrPath: string; compValue?: unknown };
        return compare(attributeOf(attrPath), node.op, compValue, attrPath);
      }
    }
  };
  return { sql: walk(tree, 0), params };
}
