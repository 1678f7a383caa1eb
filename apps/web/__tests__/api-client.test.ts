import { ApiError, apiRequest, buildQuery } from '@/lib/api-client';
import { jsonResponse, mockFetch } from './support/render';

describe('apiRequest', () => {
  it('turns the error envelope into an ApiError with code, message and Retry-After', async () => {
    mockFetch(jsonResponse(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'retry-after': '12' }));
    const error = await apiRequest('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: 'Slow down.', retryAfter: 12 });
  });

  it('recognises an endpoint the API does not have yet', async () => {
    mockFetch(jsonResponse(404, { error: { code: 'not_found', message: 'No route for GET /api/accounts.' } }));
    const error = (await apiRequest('/accounts').catch((e: unknown) => e)) as ApiError;
    expect(error.isMissingEndpoint).toBe(true);
  });

  it('does not mistake a missing record for a missing endpoint', async () => {
    mockFetch(jsonResponse(404, { error: { code: 'not_found', message: 'User not found.' } }));
    const error = (await apiRequest('/users/1').catch((e: unknown) => e)) as ApiError;
    expect(error.isMissingEndpoint).toBe(false);
  });

  it('sends JSON bodies and skips empty query values', async () => {
    const fetchMock = mockFetch(jsonResponse(200, { ok: true }));
    await apiRequest('/users', { method: 'POST', query: { role: 'admin', active: '' }, body: { a: 1 } });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/users?role=admin',
      expect.objectContaining({
        method: 'POST',
        body: '{"a":1}',
        headers: expect.objectContaining({ 'content-type': 'application/json' }),
      }),
    );
  });

  it('builds query strings', () => {
    expect(buildQuery({ a: 1, b: undefined, c: 'x y' })).toBe('?a=1&c=x+y');
    expect(buildQuery({})).toBe('');
  });
});
