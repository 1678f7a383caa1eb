// Helpers for the API key specs: HTTP calls as a given session, and account rows inserted with
// SQL (the accounts module's own import flow is not what these specs are about).
import request from 'supertest';
import type { TestApp } from './app';

export function as(app: TestApp, cookie: string) {
  return {
    get: (path: string) => request(app.url).get(path).set('cookie', cookie),
    post: (path: string, body?: object) => request(app.url).post(path).set('cookie', cookie).send(body),
    patch: (path: string, body?: object) => request(app.url).patch(path).set('cookie', cookie).send(body),
    put: (path: string, body?: object) => request(app.url).put(path).set('cookie', cookie).send(body),
    delete: (path: string) => request(app.url).delete(path).set('cookie', cookie),
  };
}

let seat = 0;

/** Inserts a minimal account row owned by `ownerId` and returns its id. */
export async function insertAccount(app: TestApp, ownerId: string): Promise<string> {
  seat++;
  const rows: { id: string }[] = await app.instance.dataSource.query(
    `INSERT INTO accounts (owner_user_id, chatgpt_account_id, chatgpt_user_id, access_token_enc, refresh_token_enc,
                           id_token_enc)
     VALUES ($1, $2, $3, 'x', 'x', 'x') RETURNING id`,
    [ownerId, `acct-${seat}-${Date.now()}`, `user-${seat}`],
  );
  return rows[0].id;
}
