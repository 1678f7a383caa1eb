import { screen } from '@testing-library/react';
import { LoginForm } from '@/components/auth/login-form';
import { renderWithProviders } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

const providers = [{ slug: 'acme', name: 'Acme SSO' }];

describe('LoginForm with identity providers', () => {
  it('shows a button per provider that starts its sign-in, beside the password form when everyone may use one', () => {
    renderWithProviders(<LoginForm options={{ providers, localLogin: 'everyone' }} />);
    expect(screen.getByRole('link', { name: 'Sign in with Acme SSO' })).toHaveAttribute(
      'href',
      '/api/dashboard-auth/oidc/acme/start',
    );
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
  });

  it('hides the password form when the policy keeps it to admins or break-glass accounts, with a way back to it', () => {
    renderWithProviders(<LoginForm options={{ providers, localLogin: 'break-glass' }} />);
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Use a break-glass account' })).toHaveAttribute('href', '/login?local=1');
  });

  it('shows the password form for ?local=1, and keeps it when no provider is enabled', () => {
    renderWithProviders(<LoginForm options={{ providers, localLogin: 'admins' }} forceLocal />);
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
    renderWithProviders(<LoginForm options={{ providers: [], localLogin: 'break-glass' }} />);
    expect(screen.getAllByLabelText('Password')).toHaveLength(2);
  });

  it('says why the provider sign-in was refused', () => {
    renderWithProviders(
      <LoginForm options={{ providers, localLogin: 'everyone' }} providerError="the ID token has expired" />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('the ID token has expired');
  });
});
