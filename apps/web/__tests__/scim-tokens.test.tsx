import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ScimSettingsCard } from '@/components/scim/scim-settings-card';
import { ScimTokensView } from '@/components/scim/scim-tokens-view';
import { jsonResponse, renderWithProviders, routeFetch, sessionFor } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

const okta = {
  id: 'tok-okta',
  name: 'Okta',
  prefix: 'scim-clb-AbCdE',
  createdAt: '2026-12-01T10:00:00.000Z',
  createdBy: { id: 'admin-id', username: 'admin' },
  lastUsedAt: null,
};
const gateway = { publicUrl: 'https://lb.example.com/', apiPort: '2455' };

describe('ScimTokensView', () => {
  it('shows the base URL and the tokens by name and prefix, never a secret', async () => {
    routeFetch({ 'GET /api/scim-tokens': jsonResponse(200, { items: [okta] }) });
    renderWithProviders(<ScimTokensView gateway={gateway} />, { session: sessionFor('admin') });
    const row = await screen.findByTestId('scim-token-tok-okta');
    expect(within(row).getByText('Okta')).toBeInTheDocument();
    expect(within(row).getByText('scim-clb-AbCdE…')).toBeInTheDocument();
    expect(within(row).getByText('never')).toBeInTheDocument();
    expect(screen.getByTestId('scim-base-url')).toHaveTextContent('https://lb.example.com/scim/v2');
  });

  it('creates a token and shows it once', async () => {
    let items: object[] = [];
    const fetchMock = routeFetch({
      'GET /api/scim-tokens': () => jsonResponse(200, { items }),
      'POST /api/scim-tokens': (body) => {
        items = [{ ...okta, name: (body as { name: string }).name }];
        return jsonResponse(201, { ...items[0], token: 'scim-clb-the-secret-shown-once' });
      },
    });
    renderWithProviders(<ScimTokensView gateway={gateway} />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await screen.findByText('No SCIM tokens');
    await user.click(screen.getAllByRole('button', { name: 'New SCIM token' })[0]);
    const form = await screen.findByRole('form', { name: 'New SCIM token' });
    // An empty name is refused before anything is sent.
    await user.click(within(form).getByRole('button', { name: 'Create token' }));
    expect(await within(form).findByText('Name the directory that will use it.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(false);

    await user.type(within(form).getByLabelText('Name'), '  Entra ID ');
    await user.click(within(form).getByRole('button', { name: 'Create token' }));
    expect(await screen.findByTestId('scim-token-secret')).toHaveTextContent('scim-clb-the-secret-shown-once');
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ name: 'Entra ID' });

    await user.click(screen.getByRole('button', { name: 'I have saved the token' }));
    await waitFor(() => expect(screen.queryByTestId('scim-token-secret')).not.toBeInTheDocument());
    expect(await screen.findByText('Entra ID')).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('scim-clb-the-secret-shown-once');
  });

  it('revokes a token after a confirmation', async () => {
    const fetchMock = routeFetch({
      'GET /api/scim-tokens': jsonResponse(200, { items: [okta] }),
      'DELETE /api/scim-tokens/tok-okta': jsonResponse(204, undefined),
    });
    renderWithProviders(<ScimTokensView gateway={gateway} />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Revoke Okta' }));
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
    await user.click(await screen.findByRole('button', { name: 'Revoke token' }));
    await waitFor(() =>
      expect(
        fetchMock.mock.calls.some(
          ([url, init]) => init?.method === 'DELETE' && String(url).endsWith('/api/scim-tokens/tok-okta'),
        ),
      ).toBe(true),
    );
  });
});

describe('ScimSettingsCard', () => {
  it('points SCIM token managers to the SCIM page and shows nothing to others', () => {
    const { unmount } = renderWithProviders(<ScimSettingsCard />, { session: sessionFor('admin') });
    expect(screen.getByRole('link', { name: 'Manage SCIM tokens' })).toHaveAttribute('href', '/settings/scim');
    unmount();
    renderWithProviders(<ScimSettingsCard />, { session: sessionFor('user') });
    expect(screen.queryByRole('link', { name: 'Manage SCIM tokens' })).not.toBeInTheDocument();
  });
});
