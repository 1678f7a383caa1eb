import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { LoginForm } from '@/components/auth/login-form';
import { SecurityCard } from '@/components/security/security-card';
import { SettingsView } from '@/components/settings/settings-view';
import { landingPathFor } from '@/lib/landing';
import { normaliseRecoveryCode, normaliseTotp } from '@/lib/api/mfa';
import { jsonResponse, renderWithProviders, routeFetch, sessionWith } from './support/render';
import { router } from './support/next-navigation';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);
jest.setTimeout(30_000);
// jsdom has no canvas; the browser test draws the real QR code. Here: the URL it is drawn from.
jest.mock('qrcode', () => ({
  __esModule: true,
  default: { toDataURL: jest.fn(async () => 'data:image/png;base64,AAAA') },
}));

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP';
const CODES = Array.from({ length: 10 }, (_, i) => `abcd-ef${String(i).padStart(2, '0')}`);
const signedIn = sessionWith(['usage:read', 'profile:write'], { role: 'user', username: 'alice' });

const bodyOf = (mock: jest.Mock, path: string) => {
  const call = mock.mock.calls.find(([url]) => url === path);
  return call ? JSON.parse(String(call[1]?.body)) : undefined;
};

beforeEach(() => jest.clearAllMocks());

describe('code input', () => {
  it('accepts six digits with spaces, and recovery codes as written', () => {
    expect(normaliseTotp('123 456')).toBe('123456');
    expect(normaliseTotp('12345')).toBeNull();
    expect(normaliseTotp('12345a')).toBeNull();
    expect(normaliseRecoveryCode(' abcd-ef01 ')).toBe('abcd-ef01');
    expect(normaliseRecoveryCode('no')).toBeNull();
  });

  it('sends an unenrolled user under the policy to enrolment first', () => {
    expect(landingPathFor({ ...signedIn, mfa: { enrolled: false, required: true } })).toBe('/enrol-2fa');
    expect(landingPathFor({ ...signedIn, mfa: { enrolled: true, required: true } })).toBe('/overview');
    expect(landingPathFor({ ...signedIn, mustChangePassword: true, mfa: { enrolled: false, required: true } })).toBe(
      '/change-password',
    );
  });
});

describe('Settings → Security enrolment', () => {
  it('re-asks the password, shows the QR code and secret, confirms a code and shows the recovery codes once', async () => {
    const fetchMock = routeFetch({
      'POST /api/me/mfa/totp/setup': jsonResponse(200, {
        secret: SECRET,
        otpauthUrl: `otpauth://totp/codex-lb:alice?secret=${SECRET}&issuer=codex-lb`,
      }),
      'POST /api/me/mfa/totp/confirm': jsonResponse(200, { recoveryCodes: CODES }),
    });
    renderWithProviders(<SecurityCard />, { session: { ...signedIn, mfa: { enrolled: false, required: false } } });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(screen.getByText('Enter your current password.')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Current password'), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(await screen.findByTestId('totp-secret')).toHaveTextContent('JBSW Y3DP EHPK 3PXP JBSW Y3DP');
    expect(bodyOf(fetchMock, '/api/me/mfa/totp/setup')).toEqual({ password: 'correct horse' });
    const qr = await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const qrcode = jest.requireMock('qrcode').default as { toDataURL: jest.Mock };
    expect(qrcode.toDataURL.mock.calls[0][0]).toBe(`otpauth://totp/codex-lb:alice?secret=${SECRET}&issuer=codex-lb`);

    await user.type(screen.getByLabelText('Code from the app'), '12');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));
    expect(screen.getByText('Enter the 6-digit code your app shows now.')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Code from the app'));
    await user.type(screen.getByLabelText('Code from the app'), '123 456');
    await user.click(screen.getByRole('button', { name: 'Turn on' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(
      within(list)
        .getAllByTestId('recovery-code')
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(bodyOf(fetchMock, '/api/me/mfa/totp/confirm')).toEqual({ code: '123456' });
    expect(screen.getByRole('button', { name: 'Copy codes' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download codes' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'I saved my codes' }));
    expect(screen.queryByRole('list', { name: 'Recovery codes' })).not.toBeInTheDocument();
    expect(router.refresh).toHaveBeenCalled();
  });

  it('turns 2FA off with a code', async () => {
    const fetchMock = routeFetch({ 'DELETE /api/me/mfa/totp': jsonResponse(204, undefined) });
    renderWithProviders(<SecurityCard />, { session: { ...signedIn, mfa: { enrolled: true, required: false } } });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Turn off 2FA' }));
    await user.type(screen.getByLabelText('Code from your authenticator app'), '654321');
    await user.click(screen.getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(bodyOf(fetchMock, '/api/me/mfa/totp')).toEqual({ code: '654321' }));
  });

  it('does not offer turning it off when the policy requires it', () => {
    routeFetch({});
    renderWithProviders(<SecurityCard />, { session: { ...signedIn, mfa: { enrolled: true, required: true } } });
    expect(screen.queryByRole('button', { name: 'Turn off 2FA' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replace recovery codes' })).toBeInTheDocument();
  });
});

describe('Settings for someone without a password', () => {
  it('hides the password change, and enrols without asking for a password', async () => {
    const fetchMock = routeFetch({
      'GET /api/me/identities': jsonResponse(200, { items: [] }),
      'GET /api/dashboard-auth/providers': jsonResponse(200, { providers: [], localLogin: 'everyone' }),
      'POST /api/me/mfa/totp/setup': jsonResponse(200, {
        secret: SECRET,
        otpauthUrl: `otpauth://totp/codex-lb:alice?secret=${SECRET}&issuer=codex-lb`,
      }),
    });
    const view = renderWithProviders(<SettingsView />, {
      session: { ...signedIn, hasPassword: false, mfa: { enrolled: false, required: false } },
    });
    expect(screen.queryAllByText('Change password')).toHaveLength(0);
    expect(screen.getByTestId('no-password-mfa')).toHaveTextContent(/last 10 minutes/);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    const form = screen.getByRole('form', { name: 'Set up two-factor sign-in' });
    expect(within(form).queryByLabelText('Current password')).not.toBeInTheDocument();
    await user.click(within(form).getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(bodyOf(fetchMock, '/api/me/mfa/totp/setup')).toEqual({}));
    expect(await screen.findByText(/JBSW Y3DP/)).toBeInTheDocument();
    view.unmount();
    renderWithProviders(<SettingsView />, {
      session: { ...signedIn, hasPassword: true, mfa: { enrolled: false, required: false } },
    });
    expect(screen.getAllByText('Change password').length).toBeGreaterThan(0);
    expect(screen.queryByTestId('no-password-mfa')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Set up two-factor sign-in' })).toBeInTheDocument();
  });

  it('says to sign in again when the sign-in is too old', async () => {
    routeFetch({
      'POST /api/me/mfa/totp/setup': jsonResponse(401, {
        error: { code: 'reauthentication_required', message: 'Sign in again through your identity provider.' },
      }),
    });
    renderWithProviders(<SecurityCard />, {
      session: { ...signedIn, hasPassword: false, mfa: { enrolled: false, required: false } },
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText(/more than 10 minutes old/)).toBeInTheDocument();
  });
});

describe('LoginForm with two-factor sign-in', () => {
  async function passwordStep() {
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('form', { name: 'Two-factor sign-in' });
    return user;
  }

  it('asks for a code after a correct password and completes the sign-in with it', async () => {
    const fetchMock = routeFetch({
      'POST /api/dashboard-auth/password/login': jsonResponse(200, { authenticated: false, mfaRequired: true }),
      'POST /api/dashboard-auth/mfa/verify': jsonResponse(200, signedIn),
    });
    renderWithProviders(<LoginForm />);
    const user = await passwordStep();
    expect(router.replace).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith('/overview'));
    expect(bodyOf(fetchMock, '/api/dashboard-auth/mfa/verify')).toEqual({ code: '123456' });
  });

  it('says plainly when the code is wrong, and accepts a recovery code instead', async () => {
    let calls = 0;
    const fetchMock = routeFetch({
      'POST /api/dashboard-auth/password/login': jsonResponse(200, { authenticated: false, mfaRequired: true }),
      'POST /api/dashboard-auth/mfa/verify': () =>
        ++calls === 1
          ? jsonResponse(401, { error: { code: 'mfa_invalid_code', message: 'Invalid code.' } })
          : jsonResponse(200, signedIn),
    });
    renderWithProviders(<LoginForm />);
    const user = await passwordStep();
    await user.type(screen.getByLabelText('Authentication code'), '000000');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That code is not valid');

    await user.click(screen.getByRole('button', { name: 'Use a recovery code' }));
    await user.type(screen.getByLabelText('Recovery code'), 'abcd-ef01');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith('/overview'));
    const last = fetchMock.mock.calls.filter(([url]) => url === '/api/dashboard-auth/mfa/verify').at(-1);
    expect(JSON.parse(String(last?.[1]?.body))).toEqual({ recoveryCode: 'abcd-ef01' });
  });

  it('refuses a malformed code before sending it', async () => {
    const fetchMock = routeFetch({
      'POST /api/dashboard-auth/password/login': jsonResponse(200, { authenticated: false, mfaRequired: true }),
    });
    renderWithProviders(<LoginForm />);
    const user = await passwordStep();
    await user.type(screen.getByLabelText('Authentication code'), '12ab');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(screen.getByText('Enter the 6-digit code from your authenticator app.')).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
