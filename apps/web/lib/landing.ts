// Where a signed-in session goes first: a forced password change, then a due two-factor
// enrolment, then the first page its permissions open. Shared by the login page and form.
import type { AuthenticatedSession } from '@codex-lb/shared';
import { homePathFor } from '@/config/navigation';
import { mustEnrolMfa } from '@/lib/api/mfa';

export function landingPathFor(session: AuthenticatedSession): string {
  if (session.mustChangePassword) return '/change-password';
  if (mustEnrolMfa(session)) return '/enrol-2fa';
  return homePathFor(session.permissions);
}
