// The dashboard's navigation as data. Each item names the permission it needs; the sidebar hides
// what the session lacks and pages use the same table to show "not allowed" for typed URLs.
import type { AnyPermission } from '@/lib/permissions';

export interface NavItem {
  title: string;
  href: string;
  /** Absent means every signed-in user may open it. */
  permission?: AnyPermission;
  section: 'workspace' | 'admin' | 'account';
}

export const NAV_ITEMS: readonly NavItem[] = [
  { title: 'Overview', href: '/overview', permission: 'usage:read', section: 'workspace' },
  { title: 'Accounts', href: '/accounts', permission: 'accounts:read', section: 'workspace' },
  { title: 'API keys', href: '/api-keys', permission: 'api-keys:read', section: 'workspace' },
  { title: 'Usage', href: '/usage', permission: 'usage:read', section: 'workspace' },
  { title: 'Request logs', href: '/request-logs', permission: 'usage:read', section: 'workspace' },
  { title: 'Groups', href: '/groups', permission: 'groups:read', section: 'workspace' },
  { title: 'Service accounts', href: '/service-accounts', permission: 'service-accounts:read', section: 'workspace' },
  { title: 'Users', href: '/users', permission: 'users:read', section: 'admin' },
  { title: 'Roles', href: '/roles', permission: 'roles:read', section: 'admin' },
  { title: 'Audit log', href: '/audit', permission: 'audit:read', section: 'admin' },
  {
    title: 'Identity providers',
    href: '/settings/identity-providers',
    permission: 'identity-providers:manage',
    section: 'admin',
  },
  { title: 'SCIM provisioning', href: '/settings/scim', permission: 'scim-tokens:manage', section: 'admin' },
  { title: 'Settings', href: '/settings', section: 'account' },
];

export const NAV_SECTIONS: Record<NavItem['section'], string> = {
  workspace: 'Workspace',
  admin: 'Administration',
  account: 'Account',
};

export function visibleNavItems(permissions: readonly string[]): NavItem[] {
  return NAV_ITEMS.filter((item) => !item.permission || permissions.includes(item.permission));
}

/** The permission a dashboard path needs, from the item whose href is its longest prefix. */
export function permissionForPath(pathname: string): AnyPermission | undefined {
  const match = NAV_ITEMS.filter((item) => pathname === item.href || pathname.startsWith(`${item.href}/`)).sort(
    (a, b) => b.href.length - a.href.length,
  )[0];
  return match?.permission;
}

/** Where a freshly signed-in user lands: the first page they may open. */
export function homePathFor(permissions: readonly string[]): string {
  return visibleNavItems(permissions)[0]?.href ?? '/settings';
}
