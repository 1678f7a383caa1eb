import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { LoginForm } from '@/components/auth/login-form';
import { jsonResponse, mockFetch, renderWithProviders } from './support/render';
import { router } from './support/next-navigation';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

async function signIn(username: string, password: string) {
  const user = userEvent.setup();
  if (username) await user.type(screen.getByLabelText('Username'), username);
  if (password) await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

const adminSession = {
  authenticated: true,
  user: { id: 'u1', username: 'admin', role: 'admin' },
  permissions: ['usage:read', 'users:manage'],
  mustChangePassword: false,
};

beforeEach(() => jest.clearAllMocks());

describe('LoginForm', () => {
  it('asks for both fields before sending anything', async () => {
    const fetchMock = mockFetch();
    renderWithProviders(<LoginForm />);
    await signIn('', '');
    expect(screen.getByText('Enter your username.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(screen.getByLabelText('Username')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('says plainly when the username or password is wrong', async () => {
    mockFetch(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'Invalid username or password.' } }));
    renderWithProviders(<LoginForm />);
    await signIn('admin', 'nope-nope');
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username or password.');
    expect(router.replace).not.toHaveBeenCalled();
  });

  it('tells a rate-limited user how long to wait, from Retry-After', async () => {
    mockFetch(
      jsonResponse(429, { error: { code: 'rate_limited', message: 'Too many attempts.' } }, { 'Retry-After': '30' }),
    );
    renderWithProviders(<LoginForm />);
    await signIn('admin', 'whatever1');
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many sign-in attempts. Try again in 30 seconds.');
  });

  it('explains when the API cannot be reached', async () => {
    mockFetch(
      jsonResponse(502, {
        error: { code: 'api_unreachable', message: 'The dashboard cannot reach the codex-lb API.' },
      }),
    );
    renderWithProviders(<LoginForm />);
    await signIn('admin', 'whatever1');
    expect(await screen.findByRole('alert')).toHaveTextContent('cannot reach the codex-lb API');
  });

  it('posts the credentials and goes to the first allowed page', async () => {
    const fetchMock = mockFetch(jsonResponse(200, adminSession));
    renderWithProviders(<LoginForm />);
    await signIn('  admin ', 'correct-horse');
    await screen.findByRole('button', { name: 'Sign in' });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/dashboard-auth/password/login',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ username: 'admin', password: 'correct-horse' }),
      }),
    );
    expect(router.replace).toHaveBeenCalledWith('/overview');
  });

  it('sends a user who must change their password to that screen first', async () => {
    mockFetch(jsonResponse(200, { ...adminSession, mustChangePassword: true }));
    renderWithProviders(<LoginForm />);
    await signIn('admin', 'generated-pass');
    await screen.findByRole('button', { name: 'Sign in' });
    expect(router.replace).toHaveBeenCalledWith('/change-password');
  });
});
