'use client';
// Sidebar on wide screens; on phones the same links fold into a menu under the top bar.
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { Badge } from '@/components/ui/badge';
import { roleTone } from '@/lib/permissions';
import { useCurrentSession } from '@/components/session-provider';
import { NavLinks } from './nav-links';
import { SignOutButton } from './sign-out-button';

function Brand() {
  return (
    <Link href="/" className="flex items-center gap-2 rounded-md text-sm font-semibold tracking-tight text-zinc-900">
      <span aria-hidden className="grid size-7 place-items-center rounded-md bg-zinc-900 text-xs font-bold text-white">
        lb
      </span>
      codex-lb
    </Link>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const session = useCurrentSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const pathname = usePathname();
  useEffect(() => setMenuOpen(false), [pathname]);

  return (
    <div className="min-h-dvh lg:grid lg:grid-cols-[15rem_1fr]">
      <aside className="hidden border-r border-zinc-200 bg-white lg:flex lg:flex-col">
        <div className="flex h-14 items-center px-5">
          <Brand />
        </div>
        <div className="flex-1 overflow-y-auto px-3 py-4">
          <NavLinks permissions={session.permissions} />
        </div>
      </aside>

      <div className="flex min-w-0 flex-col">
        <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white/90 backdrop-blur">
          <div className="flex h-14 items-center gap-3 px-4 sm:px-6">
            <button
              type="button"
              className="-ml-1 rounded-md p-2 text-zinc-700 hover:bg-zinc-100 lg:hidden"
              aria-expanded={menuOpen}
              aria-controls="mobile-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              <span className="sr-only">{menuOpen ? 'Close menu' : 'Open menu'}</span>
              <span aria-hidden className="block w-5 space-y-1">
                <span className="block h-0.5 bg-current" />
                <span className="block h-0.5 bg-current" />
                <span className="block h-0.5 bg-current" />
              </span>
            </button>
            <div className="lg:hidden">
              <Brand />
            </div>
            <div className="ml-auto flex min-w-0 items-center gap-3">
              <div className="flex min-w-0 items-center gap-2 text-sm" data-testid="current-user">
                <span className="truncate font-medium text-zinc-900">{session.user.username}</span>
                <Badge tone={roleTone(session)}>{session.user.role}</Badge>
              </div>
              <SignOutButton />
            </div>
          </div>
          {menuOpen ? (
            <div id="mobile-nav" className="border-t border-zinc-200 bg-white px-3 py-4 lg:hidden">
              <NavLinks permissions={session.permissions} onNavigate={() => setMenuOpen(false)} />
            </div>
          ) : null}
        </header>
        <main className="mx-auto w-full max-w-7xl flex-1 px-4 py-6 sm:px-6 lg:py-8">{children}</main>
      </div>
    </div>
  );
}
