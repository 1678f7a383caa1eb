// Recovery codes: ten per enrolment, each 10 characters of Crockford's base32 (no i, l, o, u;
// 50 bits), shown once as xxxxx-xxxxx; typing o for 0 or i/l for 1 still matches. Stored as HMAC-SHA256 under a server key so a
// database dump alone cannot test guesses offline. The key is 32 random bytes kept in app_state,
// encrypted by the token vault; the first instance to need it creates it (ON CONFLICT keeps one).
import { createHmac, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TokenVault } from '../../common/crypto/token-vault';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const STATE_KEY = 'mfa_recovery_hmac_key';

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const symbols = [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
    return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
  });
}

/** What the user typed, as stored: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return /^[0-9a-hjkmnp-tv-z]{10}$/.test(code) ? code : null;
}

export class RecoveryCodeHasher {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly vault: TokenVault,
  ) {}

  async hmac(userId: string, normalised: string): Promise<string> {
    const key = await this.loadKey();
    return createHmac('sha256', key).update(`${userId}:${normalised}`).digest('hex');
  }

  private loadKey(): Promise<Buffer> {
    this.key ??= this.readOrCreateKey().catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }

  private async readOrCreateKey(): Promise<Buffer> {
    const candidate = randomBytes(32).toString('base64');
    await this.dataSource.query(`INSERT INTO app_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
      STATE_KEY,
      JSON.stringify({ envelope: this.vault.encrypt(candidate) }),
    ]);
    const rows: { value: { envelope: string } }[] = await this.dataSource.query(
      `SELECT value FROM app_state WHERE key = $1`,
      [STATE_KEY],
    );
    return Buffer.from(this.vault.decrypt(rows[0].value.envelope), 'base64');
  }
}
