import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { parseApiKeyDraft, emptyApiKeyDraft } from '@/components/api-keys/api-key-form';
import { CreateApiKeyDialog } from '@/components/api-keys/create-api-key-dialog';
import { jsonResponse, renderWithProviders, routeFetch, sessionFor } from './support/render';

describe('parseApiKeyDraft', () => {
  const now = new Date('2030-01-01T12:00:00Z');

  it('builds a request with only what was filled in', () => {
    const parsed = parseApiKeyDraft(
      {
        ...emptyApiKeyDraft(),
        name: ' laptop ',
        allowedModels: 'gpt-5-codex, gpt-5',
        limits: [{ kind: 'requests', window: 'daily', max: '100', model: '' }],
      },
      now,
    );
    expect(parsed).toEqual({
      ok: true,
      request: {
        name: 'laptop',
        allowedModels: ['gpt-5-codex', 'gpt-5'],
        limits: [{ kind: 'requests', window: 'daily', max: 100 }],
      },
    });
  });

  it('rejects a past expiry, a zero limit and a fractional count', () => {
    const parsed = parseApiKeyDraft(
      {
        ...emptyApiKeyDraft(),
        name: 'k',
        expiresOn: '2029-12-31',
        limits: [
          { kind: 'requests', window: 'daily', max: '0', model: '' },
          { kind: 'total_tokens', window: 'weekly', max: '1.5', model: '' },
          { kind: 'cost_usd', window: 'monthly', max: '2.5', model: '' },
        ],
      },
      now,
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.expiresOn).toBe('Pick a date in the future.');
    expect(parsed.errors.limits[0]).toBe('Enter a maximum greater than zero.');
    expect(parsed.errors.limits[1]).toBe('Counts must be whole numbers.');
    expect(parsed.errors.limits[2]).toBeUndefined();
  });

  it('flags a duplicated limit', () => {
    const limit = { kind: 'requests' as const, window: 'daily' as const, max: '5', model: '' };
    const parsed = parseApiKeyDraft({ ...emptyApiKeyDraft(), name: 'k', limits: [limit, limit] }, now);
    expect(parsed.ok || parsed.errors.limits[1]).toBe('The same limit is already set above.');
  });
});

describe('CreateApiKeyDialog', () => {
  it('requires a name and shows limit errors before sending', async () => {
    // The only calls allowed are the lists the form offers (accounts, groups).
    const fetchMock = routeFetch({
      'GET /api/accounts': jsonResponse(200, []),
      'GET /api/groups': jsonResponse(200, { items: [] }),
    });
    renderWithProviders(<CreateApiKeyDialog open onClose={jest.fn()} onCreated={jest.fn()} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Add a limit' }));
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    expect(screen.getByText(/Give the key a name/)).toBeInTheDocument();
    expect(screen.getByText('Enter a maximum greater than zero.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.every(([, init]) => (init?.method ?? 'GET') === 'GET')).toBe(true);
  });

  it('posts the key and hands the one-time secret to the caller', async () => {
    const secret = { key: 'sk-clb-secret', apiKey: { id: 'k1', name: 'ci' } };
    const fetchMock = routeFetch({
      'GET /api/accounts': jsonResponse(200, []),
      'GET /api/groups': jsonResponse(200, { items: [] }),
      'POST /api/api-keys': jsonResponse(201, secret),
      'GET /api/api-keys': jsonResponse(200, []),
    });
    const onCreated = jest.fn();
    renderWithProviders(<CreateApiKeyDialog open onClose={jest.fn()} onCreated={onCreated} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await screen.findByText('No accounts to choose from yet.');
    await user.type(screen.getByLabelText('Name'), 'ci');
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    await screen.findByRole('button', { name: 'Create key' });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/api-keys',
      expect.objectContaining({ method: 'POST', body: JSON.stringify({ name: 'ci' }) }),
    );
    expect(onCreated).toHaveBeenCalledWith(secret);
  });
});

describe('CreateApiKeyDialog with groups and scopes', () => {
  const groups = {
    items: [
      { id: 'g1', slug: 'platform', name: 'Platform', myRole: 'member' },
      { id: 'g2', slug: 'watchers', name: 'Watchers', myRole: 'viewer' },
    ],
  };

  it('offers only groups the user routes through, and sends groupIds and scopes', async () => {
    const secret = { key: 'sk-clb-secret', apiKey: { id: 'k1', name: 'ci' } };
    const fetchMock = routeFetch({
      'GET /api/accounts': jsonResponse(200, []),
      'GET /api/groups': jsonResponse(200, groups),
      'POST /api/api-keys': jsonResponse(201, secret),
      'GET /api/api-keys': jsonResponse(200, []),
    });
    renderWithProviders(<CreateApiKeyDialog open onClose={jest.fn()} onCreated={jest.fn()} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('checkbox', { name: /Platform/ }));
    expect(screen.queryByRole('checkbox', { name: /Watchers/ })).not.toBeInTheDocument();
    // A user may not grant what they lack: no user management scope is offered.
    expect(screen.queryByText('users:manage')).not.toBeInTheDocument();
    await user.click(screen.getByRole('checkbox', { name: /usage:read/ }));
    await user.type(screen.getByLabelText('Name'), 'ci');
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    await screen.findByRole('button', { name: 'Create key' });
    const post = fetchMock.mock.calls.find(([url, init]) => url === '/api/api-keys' && init?.method === 'POST');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({
      name: 'ci',
      groupIds: ['g1'],
      scopes: ['proxy', 'usage:read'],
    });
  });

  it('refuses a key that may do nothing', async () => {
    const fetchMock = routeFetch({
      'GET /api/accounts': jsonResponse(200, []),
      'GET /api/groups': jsonResponse(200, groups),
    });
    renderWithProviders(<CreateApiKeyDialog open onClose={jest.fn()} onCreated={jest.fn()} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'nothing');
    await user.click(screen.getByRole('checkbox', { name: /Proxy requests/ }));
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    expect(screen.getByText('Choose at least one thing the key may do.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);
  });
});
