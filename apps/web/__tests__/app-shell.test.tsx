import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AppShell } from '@/components/layout/app-shell';
import { jsonResponse, mockFetch, renderWithProviders, sessionFor } from './support/render';
import { router, setPathname } from './support/next-navigation';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

describe('AppShell', () => {
  beforeEach(() => setPathname('/overview'));

  it('shows who is signed in, with their role', () => {
    renderWithProviders(<AppShell>page</AppShell>, { session: sessionFor('user', 'alice') });
    expect(screen.getByTestId('current-user')).toHaveTextContent('alice');
    expect(screen.getByTestId('current-user')).toHaveTextContent('user');
    expect(screen.queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
  });

  it('opens the mobile menu from a real button and signs out', async () => {
    const fetchMock = mockFetch(jsonResponse(204, undefined));
    renderWithProviders(<AppShell>page</AppShell>, { session: sessionFor('admin') });
    const user = userEvent.setup();
    const menu = screen.getByRole('button', { name: 'Open menu' });
    await user.click(menu);
    expect(menu).toHaveAttribute('aria-expanded', 'true');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(fetchMock).toHaveBeenCalledWith('/api/dashboard-auth/logout', expect.objectContaining({ method: 'POST' }));
    expect(router.replace).toHaveBeenCalledWith('/login');
  });
});
