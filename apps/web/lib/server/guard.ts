import type { AuthenticatedSession } from '@codex-lb/shared';
import { permissionForPath } from '@/config/navigation';
import { can } from '@/lib/permissions';
import { requireSession } from './session';

/**
 * For a dashboard page at `href`: the session, and whether its permissions cover the page.
 * Pages render <NotAllowed /> when they do not, so a typed admin URL explains itself instead of
 * showing an empty shell full of 403s.
 */
export async function guardPage(href: string): Promise<{ session: AuthenticatedSession; allowed: boolean }> {
  const session = await requireSession();
  return { session, allowed: can(session, permissionForPath(href)) };
}
