// Password hashing: bcrypt (bcryptjs) at cost 12. Verification against a fixed dummy hash when
// the user does not exist keeps the time of a failed login independent of the username.
//
// bcrypt reads only the first 72 bytes of a password, so a longer one is refused (400) rather
// than cut silently; a login with one is simply wrong. Every hash and comparison waits for one of
// a fixed number of turns (CODEX_LB_PASSWORD_HASH_CONCURRENCY) in a short queue: a flood of
// sign-ins costs a bounded amount of CPU and the rest are told to retry, instead of every request
// of the server slowing down behind them.
import bcrypt from 'bcryptjs';
import { registerDecorator, type ValidationOptions } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { PASSWORD_MAX_BYTES } from '@codex-lb/shared';
import { ApiError } from './api-error';

export { PASSWORD_MAX_BYTES };
export const BCRYPT_COST = 12;

const DUMMY_HASH = bcrypt.hashSync(randomBytes(16).toString('hex'), BCRYPT_COST);
const QUEUE_WAIT_MS = 10_000;

export function passwordTooLong(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
}

const TOO_LONG_MESSAGE = `is longer than ${PASSWORD_MAX_BYTES} bytes (accented letters and emoji take 2 to 4 bytes each)`;

/** class-validator: the password fits in what bcrypt reads. */
export function MaxPasswordBytes(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxPasswordBytes',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property ${TOO_LONG_MESSAGE}.`, ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || !passwordTooLong(value) },
    });
}

/** A counting semaphore with a bounded queue: a turn, a wait, or a refusal. */
class HashGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    public concurrency: number,
    public queue: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queue) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(turn);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(busy());
      }, QUEUE_WAIT_MS);
      this.waiting.push(turn);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The turn passes straight to the next waiter, so `active` is unchanged.
    if (next) next();
    else this.active -= 1;
  }
}

/** A 429 (not a 5xx): a refused turn is expected under a flood and is not logged as a failure. */
function busy(): ApiError {
  return new ApiError(429, 'server_busy', 'The server is busy checking other sign-ins. Try again in a moment.', {
    'retry-after': '2',
  });
}

const gate = new HashGate(4, 32);

/** Applied once at start from the settings. */
export function configurePasswordHashing(limits: { concurrency: number; queue: number }): void {
  gate.concurrency = limits.concurrency;
  gate.queue = limits.queue;
}

export function hashPassword(password: string): Promise<string> {
  if (passwordTooLong(password)) {
    return Promise.reject(ApiError.badRequest(`password ${TOO_LONG_MESSAGE}.`, 'validation_failed'));
  }
  return gate.run(() => bcrypt.hash(password, BCRYPT_COST));
}

export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  const tooLong = passwordTooLong(password);
  const matches = await gate.run(() => bcrypt.compare(password, tooLong || hash === null ? DUMMY_HASH : hash));
  return hash !== null && !tooLong && matches;
}

/** 20 characters from a 57-symbol alphabet without look-alikes: about 116 bits. */
export function generatePassword(length = 20): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    // Rejection sampling keeps every symbol equally likely.
    if (bytes[i] < 256 - (256 % alphabet.length)) out += alphabet[bytes[i] % alphabet.length];
  }
  return out.length === length ? out : generatePassword(length);
}
