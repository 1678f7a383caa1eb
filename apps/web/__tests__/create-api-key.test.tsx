import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { parseApiKeyDraft, emptyApiKeyDraft } from '@/components/api-keys/api-key-form';
import { CreateApiKeyDialog } from '@/components/api-keys/create-api-key-dialog';
import { jsonResponse, mockFetch, renderWithProviders, sessionFor } from './support/render';

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
    // The only call allowed is the account list for the allowlist.
    const fetchMock = mockFetch(jsonResponse(200, []));
    renderWithProviders(<CreateApiKeyDialog open onClose={jest.fn()} onCreated={jest.fn()} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Add a limit' }));
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    expect(screen.getByText(/Give the key a name/)).toBeInTheDocument();
    expect(screen.getByText('Enter a maximum greater than zero.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.every(([url]) => String(url).startsWith('/api/accounts'))).toBe(true);
  });

  it('posts the key and hands the one-time secret to the caller', async () => {
    const secret = { key: 'sk-clb-secret', apiKey: { id: 'k1', name: 'ci' } };
    const fetchMock = mockFetch(jsonResponse(200, []), jsonResponse(201, secret), jsonResponse(200, []));
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
