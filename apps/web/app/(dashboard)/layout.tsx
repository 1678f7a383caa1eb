import type { ReactNode } from 'react';
import { AppShell } from '@/components/layout/app-shell';
import { SessionProvider } from '@/components/session-provider';
import { requireSession } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const session = await requireSession();
  return (
    <SessionProvider session={session}>
      <AppShell>{children}</AppShell>
    </SessionProvider>
  );
}
