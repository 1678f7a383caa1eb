// Encrypts upstream OAuth tokens at rest: AES-256-GCM in a versioned envelope
// ("v1.<iv>.<tag>.<ciphertext>", base64url), so the algorithm can change without a flag day.
// The key comes from CODEX_LB_ENCRYPTION_KEY or a 0600 key file in the data directory; its
// fingerprint is stored in the database so a start with a different key stops at once with a
// clear message instead of failing later on every account.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QueryRunner } from 'typeorm';
import type { Settings } from '../../config/settings';

const VERSION = 'v1';
const FINGERPRINT_KEY = 'encryption_key_fingerprint';

export class VaultKeyError extends Error {}

export class TokenVault {
  readonly fingerprint: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new VaultKeyError('The encryption key must be 32 bytes.');
    this.fingerprint = createHash('sha256').update('codex-lb-vault').update(key).digest('hex').slice(0, 32);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(envelope: string): string {
    const [version, iv, tag, body] = envelope.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) {
      throw new VaultKeyError('Unrecognised token envelope.');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** The configured key, or the key file in the data directory (created 0600 on first use). */
export function loadVaultKey(settings: Settings): Buffer {
  if (settings.encryptionKey) return settings.encryptionKey;
  const file = join(settings.dataDir, 'encryption.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new VaultKeyError(`The key file ${file} does not hold a 32-byte base64 key.`);
    return key;
  }
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/** First start records the key's fingerprint; later starts must present the same key. */
export async function checkVaultFingerprint(runner: QueryRunner, vault: TokenVault): Promise<void> {
  const rows: { value: { fingerprint: string } }[] = await runner.query(`SELECT value FROM app_state WHERE key = $1`, [
    FINGERPRINT_KEY,
  ]);
  if (rows.length === 0) {
    await runner.query(`INSERT INTO app_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
      FINGERPRINT_KEY,
      JSON.stringify({ fingerprint: vault.fingerprint }),
    ]);
    return;
  }
  if (rows[0].value.fingerprint !== vault.fingerprint) {
    throw new VaultKeyError(
      'The encryption key does not match the one this database was set up with, so stored account ' +
        'tokens cannot be read. Start with the original CODEX_LB_ENCRYPTION_KEY (or the original ' +
        'encryption.key file in CODEX_LB_DATA_DIR).',
    );
  }
}
