import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { IdentityProvidersView } from '@/components/identity/identity-providers-view';
import { jsonResponse, renderWithProviders, routeFetch, sessionFor } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

const provider = {
  id: 'p1',
  slug: 'acme',
  name: 'Acme SSO',
  issuer: 'https://login.acme.test',
  clientId: 'codex-lb',
  hasClientSecret: true,
  scopes: ['openid', 'email', 'profile'],
  allowedDomains: ['acme.test'],
  createUsers: false,
  defaultRole: 'user',
  enabled: true,
  acceptAmrAsMfa: false,
  scimExternalIdClaim: null,
  mappings: [{ claim: 'groups', value: 'eng', role: 'user', allowAdmin: false }],
  redirectUri: 'https://lb.acme.test/api/dashboard-auth/oidc/acme/callback',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function stubs(extra: Parameters<typeof routeFetch>[0] = {}) {
  return routeFetch({
    'GET /api/identity-providers': jsonResponse(200, { items: [provider] }),
    'GET /api/auth-settings': jsonResponse(200, {
      localLogin: 'everyone',
      breakGlassUserIds: [],
      breakGlassUsers: [],
      mfaRequiredFor: 'off',
    }),
    'GET /api/users': jsonResponse(200, { items: [], total: 0 }),
    'GET /api/roles': jsonResponse(200, { items: [] }),
    'GET /api/identity-providers/p1/invitations': jsonResponse(200, { items: [] }),
    ...extra,
  });
}

describe('IdentityProvidersView', () => {
  it('shows each provider with the redirect URI to register and no secret', async () => {
    stubs();
    renderWithProviders(<IdentityProvidersView />, { session: sessionFor('admin') });
    const card = await screen.findByTestId('identity-provider-acme');
    expect(within(card).getByText(provider.redirectUri)).toBeInTheDocument();
    expect(within(card).getByText(/with a stored secret/)).toBeInTheDocument();
    expect(within(card).getByText(/by invitation only/)).toBeInTheDocument();
  });

  it('invites an e-mail address with a role', async () => {
    const fetchMock = stubs({
      'POST /api/identity-providers/p1/invitations': (body) =>
        jsonResponse(201, {
          id: 'i1',
          providerId: 'p1',
          email: (body as { email: string }).email,
          role: 'user',
          createdAt: '2026-01-01T00:00:00.000Z',
          expiresAt: '2026-01-15T00:00:00.000Z',
          consumedAt: null,
        }),
    });
    renderWithProviders(<IdentityProvidersView />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('E-mail to invite'), 'carol@acme.test');
    await user.click(screen.getByRole('button', { name: 'Invite' }));
    const call = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(call?.[1]?.body))).toEqual({ email: 'carol@acme.test', role: 'user' });
  });

  it('sets the directory link claim (SCIM externalId), and empties it to turn the link off', async () => {
    const fetchMock = stubs({
      'PATCH /api/identity-providers/p1': (body) => jsonResponse(200, { ...provider, ...(body as object) }),
    });
    renderWithProviders(<IdentityProvidersView />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    const card = await screen.findByTestId('identity-provider-acme');
    await user.click(within(card).getByRole('button', { name: 'Edit' }));
    const claim = screen.getByLabelText('Directory link claim (SCIM externalId)');
    expect(claim).toHaveValue('');
    await user.type(claim, 'not a claim');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText(/claim name such as sub or oid/)).toBeInTheDocument();
    await user.clear(claim);
    await user.type(claim, 'oid');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const patches = () => fetchMock.mock.calls.filter(([, init]) => init?.method === 'PATCH');
    expect(patches()).toHaveLength(1);
    expect(JSON.parse(String(patches()[0][1]?.body))).toMatchObject({ scimExternalIdClaim: 'oid' });
  });

  it('saves the password sign-in policy', async () => {
    const fetchMock = stubs({
      'PATCH /api/auth-settings': (body) =>
        jsonResponse(200, { ...(body as object), breakGlassUsers: [], mfaRequiredFor: 'off' }),
    });
    renderWithProviders(<IdentityProvidersView />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await user.click(await screen.findByLabelText(/Only admins/));
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    const call = fetchMock.mock.calls.find(([, init]) => init?.method === 'PATCH');
    expect(JSON.parse(String(call?.[1]?.body))).toEqual({ localLogin: 'admins', breakGlassUserIds: [] });
  });
});
