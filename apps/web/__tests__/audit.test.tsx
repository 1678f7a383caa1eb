import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AuditEventDto } from '@codex-lb/shared';
import { AuditView } from '@/components/audit/audit-view';
import { changedFields } from '@/components/audit/audit-event-drawer';
import { EMPTY_AUDIT_FILTERS, auditApi, auditQuery } from '@/lib/api/audit';
import { jsonResponse, renderWithProviders, sessionWith } from './support/render';

jest.mock('next/navigation', () => require('./support/next-navigation').navigation);
jest.setTimeout(30_000);

const event = (id: string, patch: Partial<AuditEventDto> = {}): AuditEventDto => ({
  id,
  at: '2030-01-01T10:00:00Z',
  action: 'key.revoke',
  outcome: 'success',
  actor: { id: 'admin-id', kind: 'human', label: 'admin' },
  authMethod: 'session',
  target: { type: 'api_key', id: 'k1', label: 'ci-key' },
  reason: null,
  ip: '203.0.113.7',
  userAgent: 'test',
  requestId: 'req-1',
  changes: { before: { isActive: true }, after: { isActive: false } },
  ...patch,
});

/** Answers GET /api/audit-events by cursor and records each query string. */
function stubAudit() {
  const queries: URLSearchParams[] = [];
  const mock = jest.fn(async (url: string) => {
    const [path, search = ''] = String(url).split('?');
    const params = new URLSearchParams(search);
    if (path === '/api/audit-events/verify') return jsonResponse(200, { ok: false, checked: 12, firstBadId: 'ev-7' });
    queries.push(params);
    if (params.get('cursor') === 'c2')
      return jsonResponse(200, { items: [event('ev-3', { action: 'user.create' })], nextCursor: null });
    if (params.get('outcome') === 'denied')
      return jsonResponse(200, {
        items: [
          event('ev-9', {
            action: 'authz.denied',
            outcome: 'denied',
            actor: { id: 'bob-id', kind: 'human', label: 'bob' },
            target: { type: 'route', id: null, label: 'GET /api/users' },
            reason: 'users:read required',
            changes: null,
          }),
        ],
        nextCursor: null,
      });
    return jsonResponse(200, {
      items: [
        event('ev-1'),
        event('ev-2', {
          action: 'auth.login_failed',
          outcome: 'failed',
          actor: { id: null, kind: 'anonymous', label: null },
        }),
      ],
      nextCursor: 'c2',
    });
  });
  global.fetch = mock as unknown as typeof fetch;
  return queries;
}

const rows = () => screen.getAllByTestId('audit-row');
/** Waits until the table shows an event with this action. */
const rowWith = (action: string) =>
  waitFor(() => expect(rows().some((row) => within(row).queryByText(action))).toBe(true));

describe('audit filters', () => {
  it('sends only the filled fields, times as ISO', () => {
    expect(auditQuery(EMPTY_AUDIT_FILTERS)).toEqual({});
    const query = auditQuery({
      ...EMPTY_AUDIT_FILTERS,
      action: 'key.revoke',
      actorId: ' u1 ',
      from: '2030-01-01T10:00',
    });
    expect(query).toEqual({ action: 'key.revoke', actorId: 'u1', from: new Date('2030-01-01T10:00').toISOString() });
    expect(auditApi.exportHref(query)).toMatch(/^\/api\/audit-events\/export\?actorId=u1&action=key.revoke&from=2030-/);
  });

  it('lists the changed fields before and after', () => {
    expect(changedFields({ before: { role: 'user' }, after: { role: 'admin', isActive: true } })).toEqual([
      { field: 'role', before: '"user"', after: '"admin"' },
      { field: 'isActive', before: '—', after: 'true' },
    ]);
    expect(changedFields(null)).toEqual([]);
  });
});

describe('AuditView', () => {
  it('shows events, pages on with the cursor and opens one event', async () => {
    const queries = stubAudit();
    renderWithProviders(<AuditView />, { session: sessionWith(['audit:read']) });
    await rowWith('auth.login_failed');
    expect(rows()).toHaveLength(2);
    expect(within(rows()[0]).getByText('admin')).toBeInTheDocument();
    expect(within(rows()[0]).getByText('api_key: ci-key')).toBeInTheDocument();
    expect(within(rows()[0]).getByText('203.0.113.7')).toBeInTheDocument();
    expect(within(rows()[1]).getByText('anonymous')).toBeInTheDocument();

    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await rowWith('user.create');
    expect(rows()).toHaveLength(3);
    expect(queries.at(-1)?.get('cursor')).toBe('c2');
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();

    await user.click(within(rows()[0]).getByRole('button', { name: /Details of key.revoke/ }));
    const changes = await screen.findByRole('table', { name: 'Changes' });
    expect(within(changes).getByText('isActive')).toBeInTheDocument();
    expect(within(changes).getByText('true')).toBeInTheDocument();
    expect(within(changes).getByText('false')).toBeInTheDocument();
  });

  it('filters by outcome and by the actor chosen in the table', async () => {
    const queries = stubAudit();
    renderWithProviders(<AuditView />, { session: sessionWith(['audit:read']) });
    await rowWith('auth.login_failed');
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Outcome'), 'denied');
    await rowWith('authz.denied');
    expect(queries.at(-1)?.get('outcome')).toBe('denied');
    expect(screen.getByRole('link', { name: 'Export NDJSON' })).toHaveAttribute(
      'href',
      '/api/audit-events/export?outcome=denied',
    );

    await user.click(within(rows()[0]).getByRole('button', { name: 'bob' }));
    expect(screen.getByLabelText('Actor id')).toHaveValue('bob-id');
    await waitFor(() => expect(queries.at(-1)?.get('actorId')).toBe('bob-id'));
    await rowWith('authz.denied');
  });

  it('verifies the chain and names the first bad event', async () => {
    stubAudit();
    renderWithProviders(<AuditView />, { session: sessionWith(['audit:read']) });
    await rowWith('auth.login_failed');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verify chain' }));
    expect(await screen.findByText('Chain broken')).toBeInTheDocument();
    expect(screen.getByText(/12 events checked/)).toBeInTheDocument();
    expect(screen.getByText('ev-7')).toBeInTheDocument();
  });
});
