'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { NAV_SECTIONS, visibleNavItems, type NavItem } from '@/config/navigation';
import { cn } from '@/lib/cn';

export function NavLinks({ permissions, onNavigate }: { permissions: readonly string[]; onNavigate?: () => void }) {
  const pathname = usePathname();
  const items = visibleNavItems(permissions);
  const sections = (Object.keys(NAV_SECTIONS) as NavItem['section'][])
    .map((section) => ({ section, items: items.filter((item) => item.section === section) }))
    .filter((group) => group.items.length > 0);

  return (
    <nav aria-label="Main" className="space-y-5">
      {sections.map(({ section, items: sectionItems }) => (
        <div key={section}>
          <p className="px-3 pb-1 text-xs font-medium tracking-wide text-zinc-400 uppercase">{NAV_SECTIONS[section]}</p>
          <ul className="space-y-0.5">
            {sectionItems.map((item) => {
              const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    onClick={onNavigate}
                    aria-current={active ? 'page' : undefined}
                    className={cn(
                      'block rounded-md px-3 py-2 text-sm font-medium',
                      active ? 'bg-zinc-900 text-white' : 'text-zinc-700 hover:bg-zinc-100 hover:text-zinc-900',
                    )}
                  >
                    {item.title}
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
