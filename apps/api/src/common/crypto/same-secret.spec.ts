import { sameSecret } from './same-secret';

describe('sameSecret', () => {
  it('holds equal strings equal, and any difference in length or any one character not', () => {
    const secret = 'sk-clb-0123456789abcdefABCDEF';
    expect(sameSecret(secret, `${secret}`)).toBe(true);
    expect(sameSecret('', '')).toBe(true);
    expect(sameSecret(secret, secret.slice(0, -1))).toBe(false);
    expect(sameSecret(secret, `${secret}x`)).toBe(false);
    for (let i = 0; i < secret.length; i++) {
      const changed = secret.slice(0, i) + (secret[i] === 'x' ? 'y' : 'x') + secret.slice(i + 1);
      expect(sameSecret(secret, changed)).toBe(false);
    }
    expect(sameSecret('naïve', 'naive')).toBe(false);
  });
});
