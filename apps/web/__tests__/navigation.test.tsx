import { render, screen, within } from '@testing-library/react';
import { permissionsForRole } from '@codex-lb/shared';
import { NavLinks } from '@/components/layout/nav-links';
import { NAV_ITEMS, homePathFor, permissionForPath, visibleNavItems } from '@/config/navigation';
import { setPathname } from './support/next-navigation';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

const titles = (role: 'admin' | 'user') => visibleNavItems(permissionsForRole(role)).map((item) => item.title);

describe('navigation as data', () => {
  it('never shows admin items to a user', () => {
    expect(titles('user')).not.toContain('Users');
    for (const item of visibleNavItems(permissionsForRole('user'))) {
      expect(item.section).not.toBe('admin');
    }
  });

  it('shows a user Groups and Service accounts (their group role decides the rest)', () => {
    expect(titles('user')).toEqual(expect.arrayContaining(['Groups', 'Service accounts']));
    expect(permissionForPath('/groups/some-id')).toBe('groups:read');
    expect(visibleNavItems(['usage:read']).map((item) => item.title)).not.toContain('Groups');
  });

  it('shows every item to an admin', () => {
    expect(titles('admin')).toEqual(NAV_ITEMS.map((item) => item.title));
  });

  it('maps nested admin URLs to the permission of their section', () => {
    expect(permissionForPath('/users')).toBe('users:read');
    expect(permissionForPath('/users/123')).toBe('users:read');
    expect(permissionForPath('/roles')).toBe('roles:read');
    expect(permissionForPath('/audit')).toBe('audit:read');
    expect(permissionForPath('/settings')).toBeUndefined();
  });

  it('shows Roles and the Audit log by their own permissions, whatever the role is called', () => {
    const names = (permissions: Parameters<typeof visibleNavItems>[0]) =>
      visibleNavItems(permissions).map((item) => item.title);
    expect(names(['audit:read'])).toEqual(['Audit log', 'Settings']);
    expect(names(['roles:read', 'users:read'])).toEqual(['Users', 'Roles', 'Settings']);
    expect(titles('operator' as 'user')).not.toContain('Audit log');
  });

  it('lands each role on a page it may open', () => {
    expect(homePathFor(permissionsForRole('user'))).toBe('/overview');
    expect(homePathFor([])).toBe('/settings');
  });
});

describe('NavLinks', () => {
  it('renders a user menu without the Users link', () => {
    setPathname('/accounts');
    render(<NavLinks permissions={permissionsForRole('user')} />);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    expect(within(nav).queryByText('Administration')).not.toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Accounts' })).toHaveAttribute('aria-current', 'page');
  });

  it('renders the Users link for an admin', () => {
    setPathname('/overview');
    render(<NavLinks permissions={permissionsForRole('admin')} />);
    expect(screen.getByRole('link', { name: 'Users' })).toHaveAttribute('href', '/users');
  });
});
