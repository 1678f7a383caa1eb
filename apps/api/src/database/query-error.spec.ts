import { describeQueryError } from './data-source';

describe('describeQueryError', () => {
  it('keeps the SQLSTATE, the schema names and a message without values', () => {
    expect(
      describeQueryError({
        code: '23505',
        message: 'duplicate key value violates unique constraint "dashboard_users_username_key"',
        detail: 'Key (lower(username))=(admin) already exists.',
        constraint: 'dashboard_users_username_key',
        table: 'dashboard_users',
      }),
    ).toEqual({
      code: '23505',
      message: 'duplicate key value violates unique constraint "dashboard_users_username_key"',
      constraint: 'dashboard_users_username_key',
      table: 'dashboard_users',
    });
  });

  it('cuts a data exception before the value Postgres quotes', () => {
    expect(
      describeQueryError({ code: '22P02', message: 'invalid input syntax for type uuid: "sk-clb-secret"' }),
    ).toEqual({
      code: '22P02',
      message: 'invalid input syntax for type uuid',
    });
    expect(
      describeQueryError({ code: '22003', message: 'value "99999999999" is out of range for type integer' }),
    ).toEqual({
      code: '22003',
      message: 'value "…" is out of range for type integer',
    });
  });
});
