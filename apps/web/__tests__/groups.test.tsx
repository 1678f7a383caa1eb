import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CreateGroupDialog } from '@/components/groups/create-group-dialog';
import { GroupMembersCard } from '@/components/groups/group-members-card';
import type { GroupDto } from '@codex-lb/shared';
import { jsonResponse, renderWithProviders, routeFetch, sessionFor } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);

const group = (myRole: GroupDto['myRole']): GroupDto => ({
  id: 'g1',
  slug: 'platform',
  name: 'Platform',
  myRole,
  memberCount: 2,
  ownedAccountCount: 0,
  sharedAccountCount: 1,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
});

const members = {
  items: [
    { groupId: 'g1', principalId: 'alice-id', username: 'alice', kind: 'human', role: 'owner', createdAt: '' },
    { groupId: 'g1', principalId: 'bob-id', username: 'bob', kind: 'human', role: 'member', createdAt: '' },
  ],
};

describe('CreateGroupDialog', () => {
  it('proposes the slug from the name and posts both', async () => {
    const created = group('owner');
    const fetchMock = routeFetch({ 'POST /api/groups': jsonResponse(201, created) });
    const onCreated = jest.fn();
    renderWithProviders(<CreateGroupDialog open onClose={jest.fn()} onCreated={onCreated} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Group name'), 'Platform Team');
    expect(screen.getByLabelText('Slug')).toHaveValue('platform-team');
    await user.click(screen.getByRole('button', { name: 'Create group' }));
    await screen.findByRole('button', { name: 'Create group' });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/groups',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ name: 'Platform Team', slug: 'platform-team' }),
      }),
    );
    expect(onCreated).toHaveBeenCalledWith(created);
  });

  it('says what is wrong before sending', async () => {
    const fetchMock = routeFetch({});
    renderWithProviders(<CreateGroupDialog open onClose={jest.fn()} onCreated={jest.fn()} />, {
      session: sessionFor('user'),
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Slug'), 'Not A Slug');
    await user.click(screen.getByRole('button', { name: 'Create group' }));
    expect(screen.getByText(/Give the group a name/)).toBeInTheDocument();
    expect(screen.getByText(/lower-case letters/)).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('GroupMembersCard', () => {
  it('shows a viewer the members and roles, with nothing to change', async () => {
    routeFetch({ 'GET /api/groups/g1/members': jsonResponse(200, members) });
    renderWithProviders(<GroupMembersCard group={group('viewer')} canManage={false} />, {
      session: sessionFor('user', 'carol'),
    });
    const table = await screen.findByRole('table', { name: 'Members' });
    expect(within(table).getByText('bob')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add member' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Remove' })).not.toBeInTheDocument();
    expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
  });

  it('keeps the last owner and previews what removing a member costs', async () => {
    const fetchMock = routeFetch({
      'GET /api/groups/g1/members': jsonResponse(200, members),
      'GET /api/groups/g1/impact': jsonResponse(200, {
        groupId: 'g1',
        removeMember: 'bob-id',
        keys: [{ apiKeyId: 'k1', apiKeyName: 'bob ci', ownerUserId: 'bob-id', lostAccountIds: ['a1'] }],
      }),
      'GET /api/accounts': jsonResponse(200, [{ id: 'a1', alias: 'team seat', email: 'seat@example.test' }]),
      'DELETE /api/groups/g1/members/bob-id': jsonResponse(204, undefined),
    });
    renderWithProviders(<GroupMembersCard group={group('owner')} canManage />, { session: sessionFor('user') });
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'Members' });
    const aliceRow = within(table).getByText('alice').closest('tr') as HTMLElement;
    // The only owner can be neither removed nor demoted.
    expect(within(aliceRow).queryByRole('button', { name: 'Remove' })).not.toBeInTheDocument();
    expect(within(aliceRow).getByRole('option', { name: 'Viewer' })).toBeDisabled();

    const bobRow = within(table).getByText('bob').closest('tr') as HTMLElement;
    await user.click(within(bobRow).getByRole('button', { name: 'Remove' }));
    const preview = await screen.findByTestId('impact-preview');
    expect(await within(preview).findByText('bob ci')).toBeInTheDocument();
    expect(within(preview).getByText(/loses team seat/)).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith('/api/groups/g1/impact?removeMember=bob-id', expect.anything());

    await user.click(screen.getByRole('button', { name: 'Remove member' }));
    await screen.findByRole('table', { name: 'Members' });
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/groups/g1/members/bob-id',
      expect.objectContaining({ method: 'DELETE' }),
    );
  });

  it('changes a role with one PUT', async () => {
    const fetchMock = routeFetch({
      'GET /api/groups/g1/members': jsonResponse(200, members),
      'PUT /api/groups/g1/members/bob-id': (body) => jsonResponse(200, { ...members.items[1], ...(body as object) }),
    });
    renderWithProviders(<GroupMembersCard group={group('owner')} canManage />, { session: sessionFor('user') });
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Role of bob'), 'viewer');
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/groups/g1/members/bob-id',
      expect.objectContaining({ method: 'PUT', body: JSON.stringify({ role: 'viewer' }) }),
    );
  });
});
