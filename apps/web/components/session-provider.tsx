'use client';
// The signed-in session, verified on the server by the dashboard layout and handed down once,
// so client components read the user and permissions without another round trip.
import { createContext, useContext, type ReactNode } from 'react';
import type { AuthenticatedSession } from '@codex-lb/shared';
import { can, type AnyPermission } from '@/lib/permissions';

const SessionContext = createContext<AuthenticatedSession | null>(null);

export function SessionProvider({ session, children }: { session: AuthenticatedSession; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useCurrentSession(): AuthenticatedSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useCurrentSession must be used inside the (dashboard) layout');
  return session;
}

export function useCan(permission: AnyPermission): boolean {
  return can(useCurrentSession(), permission);
}
