import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Toaster } from 'sonner';
import { UsersView } from '@/components/users/users-view';
import { jsonResponse, mockFetch, renderWithProviders, sessionFor } from './support/render';

const admin = {
  id: 'admin-id',
  username: 'admin',
  role: 'admin',
  isActive: true,
  mustChangePassword: false,
  lastLoginAt: null,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
};
const page = { items: [admin], total: 1, limit: 25, offset: 0 };

describe('UsersView', () => {
  it("shows the API's last-admin refusal in plain words", async () => {
    mockFetch(
      jsonResponse(200, page),
      jsonResponse(409, { error: { code: 'last_admin', message: 'The last active admin cannot be demoted.' } }),
      jsonResponse(200, page),
    );
    renderWithProviders(
      <>
        <UsersView />
        <Toaster />
      </>,
      { session: sessionFor('admin') },
    );
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Role of admin'), 'user');
    expect(await screen.findByText('The last active admin cannot be demoted.')).toBeInTheDocument();
  });

  it('does not offer deleting yourself', async () => {
    mockFetch(jsonResponse(200, page));
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    const row = (await screen.findByText('(you)')).closest('tr') as HTMLElement;
    expect(within(row).getByRole('button', { name: 'Delete' })).toBeDisabled();
  });

  it('validates a new user before creating it', async () => {
    const fetchMock = mockFetch(jsonResponse(200, page));
    renderWithProviders(<UsersView />, { session: sessionFor('admin') });
    const user = userEvent.setup();
    await user.click((await screen.findAllByRole('button', { name: 'New user' }))[0]);
    await user.type(screen.getByLabelText('Username'), '-bad name');
    await user.type(screen.getByLabelText('First password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText(/Use 2–64 letters/)).toBeInTheDocument();
    expect(screen.getByText('Use at least 8 characters.')).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
