import Fastify from 'fastify';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { ApiError } from './api-error';
import {
  MAX_ERROR_DETAILS_CHARS,
  MAX_ERROR_MESSAGE_CHARS,
  answerFrameworkError,
  capMessage,
  normalizeError,
} from './http-exception.filter';

describe('normalizeError', () => {
  it('answers a database that refuses connections with 503 database_unavailable and Retry-After', async () => {
    // Nothing listens on port 1: the pool's connect fails at once.
    const source = new DataSource(
      dataSourceOptions({ url: 'postgres://postgres@127.0.0.1:1/none', embedded: false, connectTimeoutMs: 1_000 }),
    );
    const failure = await source.initialize().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).not.toBeNull();
    const error = normalizeError(failure, 'GET', '/api/users');
    expect(error).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(Number(error.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("answers the pool's wait timeout with 503", () => {
    const error = normalizeError(new Error('timeout exceeded when trying to connect'), 'GET', '/api/users');
    expect(error).toMatchObject({ status: 503, code: 'database_unavailable' });
  });

  it('does not mistake a refused upstream connection for the database', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    expect(normalizeError(refused, 'POST', '/api/accounts/x/refresh-usage')).toMatchObject({
      status: 500,
      code: 'internal_error',
    });
  });

  it('caps long messages and large details', () => {
    const long = 'x'.repeat(100_000);
    const details = Array.from({ length: 10_000 }, (_, i) => ({ field: `f${i}`, problem: 'unknown' }));
    const error = normalizeError(new ApiError(400, 'validation_failed', long, {}, details), 'POST', '/api/users');
    expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(JSON.stringify(error.details).length).toBeLessThanOrEqual(MAX_ERROR_DETAILS_CHARS);
    expect((error.details as unknown[]).length).toBeGreaterThan(0);
  });

  it('never splits a surrogate pair when cutting', () => {
    const cut = capMessage(`${'a'.repeat(MAX_ERROR_MESSAGE_CHARS - 2)}😀😀😀`);
    expect(cut.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('answerFrameworkError', () => {
  it("answers a path that does not decode in the API's envelope, without echoing the URL", async () => {
    const app = Fastify({ frameworkErrors: answerFrameworkError });
    app.get('/api/users/:id', async () => ({ ok: true }));
    app.post('/v1/responses/:id', async () => ({ ok: true }));
    const query = `?q=${'a'.repeat(10_000)}`;
    const api = await app.inject({ method: 'GET', url: `/api/users/%ED%A0%80${query}` });
    expect(api.statusCode).toBe(400);
    expect(api.json()).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
    expect(api.body.length).toBeLessThan(300);
    const proxy = await app.inject({ method: 'POST', url: `/v1/responses/%FF${query}` });
    expect(proxy.json().error).toMatchObject({ code: 'bad_request', type: 'invalid_request_error', param: null });
    await app.close();
  });
});
