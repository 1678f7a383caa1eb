import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PASSWORD_MIN_LENGTH } from '@codex-lb/shared';
import { ChangePasswordForm } from '@/components/auth/change-password-form';
import { validatePasswordChange } from '@/components/auth/password-rules';
import { jsonResponse, mockFetch, renderWithProviders } from './support/render';

async function fill(current: string, next: string, confirm: string) {
  const user = userEvent.setup();
  if (current) await user.type(screen.getByLabelText('Current password'), current);
  if (next) await user.type(screen.getByLabelText('New password'), next);
  if (confirm) await user.type(screen.getByLabelText('Confirm new password'), confirm);
  await user.click(screen.getByRole('button', { name: 'Change password' }));
}

describe('validatePasswordChange', () => {
  it('accepts a long enough, confirmed, different password', () => {
    expect(
      validatePasswordChange({
        currentPassword: 'old-pass-1',
        newPassword: 'new-pass-12',
        confirmPassword: 'new-pass-12',
      }),
    ).toEqual({});
  });

  it('rejects reusing the current password', () => {
    expect(
      validatePasswordChange({
        currentPassword: 'same-pass-1',
        newPassword: 'same-pass-1',
        confirmPassword: 'same-pass-1',
      }).newPassword,
    ).toMatch(/different/);
  });
});

describe('ChangePasswordForm', () => {
  it(`requires at least ${PASSWORD_MIN_LENGTH} characters without calling the API`, async () => {
    const fetchMock = mockFetch();
    renderWithProviders(<ChangePasswordForm onChanged={jest.fn()} />);
    await fill('old-password', 'short', 'short');
    expect(screen.getByText(`Use at least ${PASSWORD_MIN_LENGTH} characters.`)).toBeInTheDocument();
    expect(screen.getByLabelText('New password')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('requires the confirmation to match', async () => {
    const fetchMock = mockFetch();
    renderWithProviders(<ChangePasswordForm onChanged={jest.fn()} />);
    await fill('old-password', 'brand-new-pass', 'brand-new-pasS');
    expect(screen.getByText('The two new passwords do not match.')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('asks for the current password', async () => {
    mockFetch();
    renderWithProviders(<ChangePasswordForm onChanged={jest.fn()} />);
    await fill('', 'brand-new-pass', 'brand-new-pass');
    expect(screen.getByText('Enter your current password.')).toBeInTheDocument();
  });

  it('shows a wrong current password next to that field', async () => {
    mockFetch(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'Invalid username or password.' } }));
    const onChanged = jest.fn();
    renderWithProviders(<ChangePasswordForm onChanged={onChanged} />);
    await fill('wrong-current', 'brand-new-pass', 'brand-new-pass');
    expect(await screen.findByText('Your current password is not correct.')).toBeInTheDocument();
    expect(onChanged).not.toHaveBeenCalled();
  });

  it("shows the API's validation message as it is", async () => {
    mockFetch(jsonResponse(400, { error: { code: 'validation_failed', message: 'Password is too common.' } }));
    renderWithProviders(<ChangePasswordForm onChanged={jest.fn()} />);
    await fill('old-password', 'password123', 'password123');
    expect(await screen.findByRole('alert')).toHaveTextContent('Password is too common.');
  });

  it('sends only current and new password, then reports success', async () => {
    const fetchMock = mockFetch(jsonResponse(200, { ok: true }));
    const onChanged = jest.fn();
    renderWithProviders(<ChangePasswordForm onChanged={onChanged} />);
    await fill('old-password', 'brand-new-pass', 'brand-new-pass');
    await screen.findByRole('button', { name: 'Change password' });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/dashboard-auth/password/change',
      expect.objectContaining({
        body: JSON.stringify({ currentPassword: 'old-password', newPassword: 'brand-new-pass' }),
      }),
    );
    expect(onChanged).toHaveBeenCalled();
  });
});
