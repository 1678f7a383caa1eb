// The SCIM filter translation: supported expressions become SQL with every value a parameter;
// everything else is a 400 with scimType invalidFilter before any query is built.
import { ScimError } from './scim-error';
import { filterToSql, type FilterAttributes } from './scim-filter';

const URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ATTRIBUTES: FilterAttributes = {
  userName: { type: 'string', column: 'u.username' },
  externalId: { type: 'string', column: 's.external_id', caseExact: true },
  active: { type: 'boolean', column: 'u.is_active' },
  'emails.value': { type: 'string', some: (test) => `EXISTS (SELECT 1 FROM e WHERE ${test('e.value')})` },
};

const sql = (filter: string) => filterToSql(filter, ATTRIBUTES, URN);

function invalid(filter: string): ScimError {
  try {
    sql(filter);
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).scimType).toBe('invalidFilter');
    expect((error as ScimError).getStatus()).toBe(400);
    return error as ScimError;
  }
  throw new Error(`accepted: ${filter}`);
}

describe('filterToSql', () => {
  it('is true without a filter', () => {
    expect(filterToSql(undefined, ATTRIBUTES, URN)).toEqual({ sql: 'true', params: [] });
    expect(sql('  ')).toEqual({ sql: 'true', params: [] });
  });

  it('compares case-insensitively unless the attribute is caseExact, values as parameters', () => {
    expect(sql('userName eq "Ann"')).toEqual({ sql: '(lower(u.username) = lower($1::text))', params: ['Ann'] });
    expect(sql('externalId eq "X-1"')).toEqual({ sql: '(s.external_id = $1::text)', params: ['X-1'] });
    expect(sql('USERNAME eq "a"').params).toEqual(['a']);
    expect(sql(`${URN}:userName eq "a"`).params).toEqual(['a']);
  });

  it('combines with and, or and not, and reads emails.value and emails[value eq]', () => {
    const both = sql('userName sw "a_" and (active eq false or emails.value eq "a@b.c")');
    expect(both.sql).toBe(
      "((lower(u.username) LIKE lower($1::text) ESCAPE '\\') AND ((u.is_active = $2) OR EXISTS (SELECT 1 FROM e WHERE (lower(e.value) = lower($3::text)))))",
    );
    expect(both.params).toEqual(['a\\_%', false, 'a@b.c']);
    expect(sql('emails[value eq "a@b.c"]').params).toEqual(['a@b.c']);
    expect(sql('not (active eq true)').sql).toBe('(NOT COALESCE((u.is_active = $1), false))');
    expect(sql('userName pr').params).toEqual([]);
  });

  it('refuses what it cannot answer exactly', () => {
    invalid('userName eq');
    invalid('password eq "x"');
    invalid('active eq "yes"');
    invalid('userName eq 12');
    invalid('userName gt "a"');
    invalid('emails[type eq "work"]');
    invalid('x'.repeat(1001));
    invalid(Array.from({ length: 21 }, (_, i) => `userName eq "${i}"`).join(' or '));
    expect(invalid('"; DROP TABLE users; --').detail).not.toContain('DROP');
  });
});
