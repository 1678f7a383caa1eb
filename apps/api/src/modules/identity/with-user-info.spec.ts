// The ID token's claims completed by the userinfo answer: the signed token wins, and claims about
// the sign-in itself never come from userinfo.
import { withUserInfo } from './oidc-client';

describe('withUserInfo', () => {
  const idToken = { iss: 'https://idp.test', sub: 'u-1', aud: 'client', amr: ['pwd'], email: 'a@acme.test' };

  it('fills what the ID token lacks, and keeps what it says', () => {
    const merged = withUserInfo(idToken, {
      sub: 'u-1',
      email: 'other@acme.test',
      email_verified: true,
      groups: ['staff'],
      preferred_username: 'alice',
    });
    expect(merged).toMatchObject({
      email: 'a@acme.test',
      email_verified: true,
      groups: ['staff'],
      preferred_username: 'alice',
    });
  });

  it('never takes the sign-in’s own claims from userinfo', () => {
    const merged = withUserInfo(
      { iss: 'https://idp.test', sub: 'u-1' },
      { amr: ['mfa', 'otp'], acr: 'phr', auth_time: 1, iss: 'https://evil.test', aud: 'x', nonce: 'n', sid: 's' },
    );
    expect(merged).toEqual({ iss: 'https://idp.test', sub: 'u-1' });
    expect(withUserInfo(idToken, null)).toBe(idToken);
  });
});
