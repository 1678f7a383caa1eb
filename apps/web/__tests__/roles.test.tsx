import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PERMISSIONS, PERMISSION_DESCRIPTIONS, type Permission } from '@codex-lb/shared';
import { RolesView } from '@/components/roles/roles-view';
import { NOT_HELD_HINT } from '@/components/roles/role-editor-dialog';
import { permissionsByResource } from '@/lib/api/roles';
import { READ_ONLY_PERMISSIONS, jsonResponse, renderWithProviders, routeFetch, sessionWith } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);
// Role queries over the whole permission grid are slow in jsdom on a busy machine.
jest.setTimeout(30_000);

const vocabulary = PERMISSIONS.map((id) => ({ id, description: PERMISSION_DESCRIPTIONS[id] }));
const roles = [
  { id: 'r-admin', slug: 'admin', name: 'Admin', preset: true, permissions: [...PERMISSIONS], holders: 1 },
  { id: 'r-fin', slug: 'finance', name: 'Finance', preset: false, permissions: ['usage:read'], holders: 2 },
];
// A role manager who does not hold users:manage or audit:read.
const manager: Permission[] = ['roles:read', 'roles:manage', 'usage:read', 'accounts:read', 'users:read'];

function stubRoles(extra: Parameters<typeof routeFetch>[0] = {}) {
  return routeFetch({
    'GET /api/roles': jsonResponse(200, roles),
    'GET /api/permissions': jsonResponse(200, vocabulary),
    ...extra,
  });
}

describe('permissionsByResource', () => {
  it('groups the vocabulary by the part before the colon, in order', () => {
    const groups = permissionsByResource(vocabulary);
    expect(groups[0]).toEqual({ resource: 'accounts', items: vocabulary.slice(0, 3) });
    expect(groups.map((g) => g.resource)).toContain('audit');
    expect(groups.flatMap((g) => g.items)).toHaveLength(PERMISSIONS.length);
  });
});

describe('RolesView', () => {
  it('lists presets as read-only and custom roles with their holders', async () => {
    stubRoles();
    renderWithProviders(<RolesView />, { session: sessionWith(manager) });
    const admin = await screen.findByTestId('role-admin');
    expect(within(admin).getByText('preset')).toBeInTheDocument();
    expect(within(admin).queryByRole('button', { name: /Actions for/ })).not.toBeInTheDocument();
    const finance = screen.getByTestId('role-finance');
    expect(within(finance).getByRole('button', { name: 'Holders of Finance' })).toHaveTextContent('2');
    expect(within(finance).getByRole('button', { name: 'Actions for role Finance' })).toBeInTheDocument();
  });

  it('lets the editor grant only the permissions they hold', async () => {
    const fetchMock = stubRoles({
      'POST /api/roles': (body) => jsonResponse(201, { id: 'r-new', preset: false, holders: 0, ...(body as object) }),
    });
    renderWithProviders(<RolesView />, { session: sessionWith(manager) });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'New role' }));
    const form = await screen.findByRole('form', { name: 'New role' });
    await within(form).findByRole('checkbox', { name: 'usage:read' });
    // Held: enabled. Not held: disabled, with the reason next to it.
    expect(within(form).getByRole('checkbox', { name: 'usage:read' })).toBeEnabled();
    const notHeld = within(form).getByRole('checkbox', { name: 'users:manage' });
    expect(notHeld).toBeDisabled();
    expect(notHeld).toHaveAccessibleDescription(NOT_HELD_HINT);
    expect(within(form).getByRole('checkbox', { name: 'audit:read' })).toBeDisabled();

    await user.type(within(form).getByLabelText('Name'), 'Cost Readers');
    expect(within(form).getByLabelText('Slug')).toHaveValue('cost-readers');
    await user.click(within(form).getByRole('checkbox', { name: 'usage:read' }));
    await user.click(within(form).getByRole('checkbox', { name: 'accounts:read' }));
    await user.click(notHeld); // ignored: disabled
    await user.click(within(form).getByRole('button', { name: 'Create role' }));

    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({
      slug: 'cost-readers',
      name: 'Cost Readers',
      permissions: ['accounts:read', 'usage:read'],
    });
  });

  it('refuses an empty role before sending', async () => {
    const fetchMock = stubRoles();
    renderWithProviders(<RolesView />, { session: sessionWith(manager) });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'New role' }));
    const form = await screen.findByRole('form', { name: 'New role' });
    await user.type(within(form).getByLabelText('Name'), 'Nothing');
    await user.click(within(form).getByRole('button', { name: 'Create role' }));
    expect(within(form).getByText('Choose at least one permission.')).toBeInTheDocument();
    expect(fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST')).toHaveLength(0);
  });

  it("shows the API's 409 when deleting a role in use", async () => {
    stubRoles({
      'DELETE /api/roles/r-fin': jsonResponse(409, {
        error: { code: 'role_in_use', message: 'The role is in use by 2 users.' },
      }),
    });
    renderWithProviders(<RolesView />, { session: sessionWith(manager) });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Actions for role Finance' }));
    await user.click(screen.getByRole('menuitem', { name: 'Delete' }));
    await user.click(screen.getByRole('button', { name: 'Delete role' }));
    expect(await screen.findByText('The role is in use by 2 users.')).toBeInTheDocument();
  });

  it('lists the holders of a role', async () => {
    stubRoles({
      'GET /api/roles/r-fin/holders': jsonResponse(200, [
        { id: 'u1', username: 'carol', isActive: true },
        { id: 'u2', username: 'dave', isActive: false },
      ]),
    });
    renderWithProviders(<RolesView />, { session: sessionWith(manager) });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Holders of Finance' }));
    const list = await screen.findByRole('list', { name: 'Holders' });
    expect(within(list).getByText('carol')).toBeInTheDocument();
    expect(within(list).getByText('deactivated')).toBeInTheDocument();
  });

  it('shows a reader no way to change roles', async () => {
    stubRoles();
    renderWithProviders(<RolesView />, { session: sessionWith(READ_ONLY_PERMISSIONS) });
    await screen.findByTestId('role-finance');
    expect(screen.queryByRole('button', { name: 'New role' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Actions for/ })).not.toBeInTheDocument();
  });
});
