// A read-only role (every :read permission and owners:all, nothing that writes) sees every page's
// data and no control that would change anything: no write button, no row menu, no form.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import type { Permission } from '@codex-lb/shared';
import { AccountsView } from '@/components/accounts/accounts-view';
import { ApiKeysView } from '@/components/api-keys/api-keys-view';
import { GroupDetailView } from '@/components/groups/group-detail-view';
import { GroupsView } from '@/components/groups/groups-view';
import { RolesView } from '@/components/roles/roles-view';
import { ServiceAccountsView } from '@/components/service-accounts/service-accounts-view';
import { SettingsView } from '@/components/settings/settings-view';
import { UsersView } from '@/components/users/users-view';
import { READ_ONLY_PERMISSIONS, jsonResponse, renderWithProviders, routeFetch, sessionWith } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);
jest.setTimeout(30_000);

/** Names a write control would carry on any page. */
export const WRITE_CONTROL =
  /^(add|create|new|edit|delete|revoke|rotate|regenerate|save|share|invite|reset|rename|pause|resume|disable|enable|deactivate|activate|withdraw|move|change|remove|sign in again|refresh usage|groups…|groups and scopes)\b/i;

const at = '2030-01-01T00:00:00Z';
const group = {
  id: 'g1',
  slug: 'platform',
  name: 'Platform',
  myRole: null,
  memberCount: 1,
  ownedAccountCount: 0,
  sharedAccountCount: 1,
  createdAt: at,
  updatedAt: at,
};
const account = {
  id: 'a1',
  ownerUserId: 'bob-id',
  ownerUsername: 'bob',
  ownerType: 'user',
  ownerId: 'bob-id',
  ownerGroupName: null,
  sharedWith: ['g1'],
  email: 'bob@example.com',
  alias: null,
  planType: 'plus',
  chatgptAccountId: 'c1',
  status: 'active',
  statusReason: null,
  cooldownUntil: null,
  primaryWindow: null,
  secondaryWindow: null,
  quotaFetchedAt: null,
  lastRefreshAt: null,
  createdAt: at,
};
const key = {
  id: 'k1',
  ownerUserId: 'bob-id',
  ownerUsername: 'bob',
  name: 'ci-key',
  prefix: 'sk-clb-abc',
  expiresAt: null,
  revokedAt: null,
  isActive: true,
  lastUsedAt: null,
  allowedModels: [],
  accountIds: [],
  accountsRestricted: false,
  groupIds: [],
  scopes: ['proxy'],
  limits: [],
  createdAt: at,
  updatedAt: at,
};
const user = (id: string, username: string, role: string) => ({
  id,
  username,
  role,
  isActive: true,
  mustChangePassword: false,
  lastLoginAt: null,
  createdAt: at,
  updatedAt: at,
});

function stubEverything() {
  routeFetch({
    'GET /api/accounts': jsonResponse(200, [account]),
    'GET /api/api-keys': jsonResponse(200, [key]),
    'GET /api/groups': jsonResponse(200, { items: [group] }),
    'GET /api/groups/g1': jsonResponse(200, group),
    'GET /api/groups/g1/members': jsonResponse(200, {
      items: [{ groupId: 'g1', principalId: 'bob-id', username: 'bob', kind: 'human', role: 'owner', createdAt: at }],
    }),
    'GET /api/service-accounts': jsonResponse(200, {
      items: [{ id: 's1', name: 'ci-bot', groupId: 'g1', groupName: 'Platform', isActive: true, createdAt: at }],
    }),
    'GET /api/users': jsonResponse(200, {
      items: [user('bob-id', 'bob', 'user'), user('vera-id', 'vera', 'auditor')],
      total: 2,
      limit: 200,
      offset: 0,
    }),
    'GET /api/roles': jsonResponse(200, [
      { id: 'r1', slug: 'admin', name: 'Admin', preset: true, permissions: ['users:manage'], holders: 1 },
      { id: 'r2', slug: 'auditor', name: 'Auditor', preset: false, permissions: READ_ONLY_PERMISSIONS, holders: 1 },
    ]),
    'GET /api/usage/summary': jsonResponse(200, {}),
  });
}

const gateway = { publicUrl: null, apiPort: 2455 } as unknown as Parameters<typeof ApiKeysView>[0]['gateway'];

const PAGES: Array<[string, () => ReactElement, string]> = [
  ['Accounts', () => <AccountsView />, 'bob@example.com'],
  ['API keys', () => <ApiKeysView gateway={gateway} />, 'ci-key'],
  ['Groups', () => <GroupsView />, 'Platform'],
  ['Group detail', () => <GroupDetailView groupId="g1" />, 'bob'],
  ['Service accounts', () => <ServiceAccountsView gateway={gateway} />, 'ci-bot'],
  ['Users', () => <UsersView />, 'vera'],
  ['Roles', () => <RolesView />, 'Auditor'],
  ['Settings', () => <SettingsView />, 'vera-id'],
];

function writeControls(): string[] {
  const controls = [...screen.queryAllByRole('button'), ...screen.queryAllByRole('link')];
  return controls.map((element) => element.textContent?.trim() ?? '').filter((name) => WRITE_CONTROL.test(name));
}

describe('a read-only role', () => {
  const session = sessionWith(READ_ONLY_PERMISSIONS as Permission[], { role: 'auditor' });

  it.each(PAGES)('sees the %s page without any write control', async (_name, page, shown) => {
    stubEverything();
    renderWithProviders(page(), { session });
    expect((await screen.findAllByText(shown)).length).toBeGreaterThan(0);
    // Menus open to what they hold: the only row menus left must carry read actions only.
    const user = userEvent.setup();
    for (const trigger of screen.queryAllByRole('button', { name: /^Actions for/ })) {
      await user.click(trigger);
      const items = screen.queryAllByRole('menuitem').map((item) => item.textContent ?? '');
      expect(items.filter((name) => WRITE_CONTROL.test(name))).toEqual([]);
      await user.keyboard('{Escape}');
    }
    expect(writeControls()).toEqual([]);
    expect(
      screen.queryAllByRole('combobox').filter((select) => /^Role of/.test(select.getAttribute('aria-label') ?? '')),
    ).toEqual([]);
  });

  it('still sees the same pages with every write control as a manager', async () => {
    stubEverything();
    renderWithProviders(<UsersView />, {
      session: sessionWith([...READ_ONLY_PERMISSIONS, 'users:manage'] as Permission[], { role: 'admin' }),
    });
    await screen.findAllByText('vera');
    expect(writeControls()).toContain('New user');
    const row = screen.getByText('bob').closest('tr') as HTMLElement;
    expect(within(row).getByLabelText('Role of bob')).toBeInTheDocument();
  });
});
