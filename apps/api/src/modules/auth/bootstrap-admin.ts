// First start: when nobody can manage users, create `admin`. Runs under the startup advisory
// lock, so two instances starting at once on an empty database create exactly one.
import type { QueryRunner } from 'typeorm';
import { generatePassword, hashPassword } from '../../common/passwords';
import type { Settings } from '../../config/settings';

export class BootstrapRefusedError extends Error {}

export type BootstrapResult =
  { created: false } | { created: true; username: string; generatedPassword: string | null };

export async function ensureBootstrapAdmin(runner: QueryRunner, settings: Settings): Promise<BootstrapResult> {
  // Someone who can manage users, under any role: management handed to a custom role (and the
  // admin demoted) is not a first start.
  const existing: unknown[] = await runner.query(
    `SELECT 1 FROM dashboard_users u
       JOIN roles r ON r.slug = u.role
       JOIN role_permissions rp ON rp.role_id = r.id AND rp.permission = 'users:manage'
      WHERE u.kind = 'human' LIMIT 1`,
  );
  if (existing.length > 0) return { created: false };

  let password = settings.bootstrapAdminPassword;
  let generated: string | null = null;
  if (password === null) {
    if (settings.production) {
      throw new BootstrapRefusedError(
        'No admin exists and CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD is not set. In production the first ' +
          'admin password must be given: set CODEX_LB_BOOTSTRAP_ADMIN_PASSWORD (8+ characters) and start again.',
      );
    }
    generated = generatePassword();
    password = generated;
  }
  const rows: unknown[] = await runner.query(
    `INSERT INTO dashboard_users (username, password_hash, role, must_change_password)
     VALUES ('admin', $1, 'admin', $2)
     ON CONFLICT ((lower(username))) DO NOTHING RETURNING id`,
    [await hashPassword(password), generated !== null],
  );
  if (rows.length === 0) {
    throw new BootstrapRefusedError(
      'No admin exists, but a non-admin user named "admin" does. Promote a user to admin in the database, ' +
        'or rename that user, and start again.',
    );
  }
  return { created: true, username: 'admin', generatedPassword: generated };
}

export function adminBanner(password: string): string {
  const line = '='.repeat(64);
  return [
    '',
    line,
    '  codex-lb: first start. An admin account was created.',
    '',
    '    username: admin',
    `    password: ${password}`,
    '',
    '  This password is shown once. Sign in and choose a new one.',
    line,
    '',
  ].join('\n');
}
