import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Toaster } from 'sonner';
import { UsersView } from '@/components/users/users-view';
import {
  READ_ONLY_PERMISSIONS,
  jsonResponse,
  renderWithProviders,
  routeFetch,
  sessionFor,
  sessionWith,
} from './support/render';

const person = (id: string, username: string, role: string) => ({
  id,
  username,
  role,
  isActive: true,
  mustChangePassword: false,
  lastLoginAt: null,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
});
const admin = person('admin-id', 'admin', 'admin');
const bob = person('bob-id', 'bob', 'finance');
const page = { items: [admin, bob], total: 2, limit: 25, offset: 0 };
const roles = [
  { id: 'r1', slug: 'admin', name: 'Admin', preset: true, permissions: [], holders: 1 },
  { id: 'r2', slug: 'viewer', name: 'Viewer', preset: true, permissions: [], holders: 0 },
  { id: 'r3', slug: 'finance', name: 'Finance', preset: false, permissions: ['usage:read'], holders: 1 },
];

async function openActions(username: string) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: `Actions for ${username}` }));
  return user;
}

describe('UsersView', () => {
  it("shows the API's last-manager refusal in plain words", async () => {
    routeFetch({
      'GET /api/users': jsonResponse(200, page),
      'GET /api/roles': jsonResponse(200, roles),
      'PATCH /api/users/admin-id': jsonResponse(409, {
        error: { code: 'last_manager', message: 'The last holder of users:manage cannot lose it.' },
      }),
    });
    renderWithProviders(
      <>
        <UsersView />
        <Toaster />
      </>,
      { session: sessionFor('admin') },
    );
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Role of admin'), 'viewer');
    expect(await screen.findByText('The last holder of users:manage cannot lose it.')).toBeInTheDocument();
  });

  it('lists every role, custom ones included, in the role select', async () => {
    routeFetch({ 'GET /api/users': jsonResponse(200, page), 'GET /api/roles': jsonResponse(200, roles) });
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    const select = await screen.findByLabelText('Role of bob');
    await within(select).findByRole('option', { name: 'viewer' });
    expect(
      within(select)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['admin', 'viewer', 'finance']);
    expect(select).toHaveValue('finance');
  });

  it('offers neither deleting nor resetting 2FA of yourself', async () => {
    routeFetch({ 'GET /api/users': jsonResponse(200, page), 'GET /api/roles': jsonResponse(200, roles) });
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    await openActions('admin');
    expect(screen.queryByRole('menuitem', { name: 'Delete' })).not.toBeInTheDocument();
    expect(screen.queryByRole('menuitem', { name: 'Reset 2FA' })).not.toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Reset password' })).toBeInTheDocument();
  });

  it("resets another user's 2FA through DELETE /api/users/:id/mfa after a confirmation", async () => {
    const fetchMock = routeFetch({
      'GET /api/users': jsonResponse(200, page),
      'GET /api/roles': jsonResponse(200, roles),
      'DELETE /api/users/bob-id/mfa': jsonResponse(200, { enrolled: false }),
    });
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    const user = await openActions('bob');
    await user.click(screen.getByRole('menuitem', { name: 'Reset 2FA' }));
    expect(screen.getByText(/signed out everywhere/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reset 2FA' }));
    await screen.findByText(/Reset 2FA/, {}, { timeout: 100 }).catch(() => undefined);
    expect(
      fetchMock.mock.calls.some(([url, init]) => url === '/api/users/bob-id/mfa' && init?.method === 'DELETE'),
    ).toBe(true);
  });

  it('validates a new user before creating it', async () => {
    const fetchMock = routeFetch({
      'GET /api/users': jsonResponse(200, page),
      'GET /api/roles': jsonResponse(200, roles),
    });
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await user.click((await screen.findAllByRole('button', { name: 'New user' }))[0]);
    await user.type(screen.getByLabelText('Username'), '-bad name');
    await user.type(screen.getByLabelText('First password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText(/Use 2–64 letters/)).toBeInTheDocument();
    expect(screen.getByText('Use at least 8 characters.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST')).toHaveLength(0);
  });

  it('shows a reader the list with no control at all', async () => {
    routeFetch({ 'GET /api/users': jsonResponse(200, page), 'GET /api/roles': jsonResponse(200, roles) });
    renderWithProviders(<UsersView />, { session: sessionWith(READ_ONLY_PERMISSIONS) });
    expect(await screen.findByText('bob')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New user' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Role of bob')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Actions for/ })).not.toBeInTheDocument();
    const row = screen.getByText('bob').closest('tr') as HTMLElement;
    expect(within(row).getByText('finance')).toBeInTheDocument();
    expect(within(row).queryAllByRole('button')).toHaveLength(0);
  });
});
