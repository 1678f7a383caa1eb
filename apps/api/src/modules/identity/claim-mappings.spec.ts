// The mapping rules on plain claims: list and scalar claims, first role rule wins, admin-level
// roles only with allowAdmin, managed groups (strongest group role; no match means "not a member"),
// and a provider without role rules leaving roles alone. Also the redirect allowlist.
import { evaluateMappings } from './claim-mappings';
import type { MappingRow } from './identity-providers.repository';
import { safeReturnTo } from './redirects';

const rule = (patch: Partial<MappingRow>): MappingRow => ({
  claim: 'groups',
  value: 'x',
  role: null,
  groupId: null,
  groupRole: null,
  allowAdmin: false,
  ...patch,
});
const isAdmin = (role: string) => role === 'admin';

describe('evaluateMappings', () => {
  it('matches list and scalar claims, the first role rule winning', () => {
    const rules = [rule({ value: 'eng', role: 'user' }), rule({ value: 'ops', role: 'operator' })];
    expect(evaluateMappings({ groups: ['ops', 'eng'] }, rules, 'viewer', isAdmin).role).toBe('user');
    expect(evaluateMappings({ groups: 'ops' }, rules, 'viewer', isAdmin).role).toBe('operator');
    expect(evaluateMappings({ groups: [] }, rules, 'viewer', isAdmin).role).toBe('viewer');
    expect(
      evaluateMappings({ hd: true }, [rule({ claim: 'hd', value: 'true', role: 'user' })], 'viewer', isAdmin).role,
    ).toBe('user');
  });

  it('never applies an admin-level role without allowAdmin', () => {
    const rules = [rule({ value: 'it', role: 'admin' })];
    expect(evaluateMappings({ groups: ['it'] }, rules, 'viewer', isAdmin).role).toBe('viewer');
    rules[0].allowAdmin = true;
    expect(evaluateMappings({ groups: ['it'] }, rules, 'viewer', isAdmin).role).toBe('admin');
  });

  it('keeps every named group in step, with the strongest matching group role', () => {
    const rules = [
      rule({ value: 'eng', groupId: 'g1', groupRole: 'member' }),
      rule({ value: 'leads', groupId: 'g1', groupRole: 'owner' }),
      rule({ value: 'ops', groupId: 'g2', groupRole: 'viewer' }),
    ];
    const outcome = evaluateMappings({ groups: ['eng', 'leads'] }, rules, 'viewer', isAdmin);
    expect([...outcome.groups]).toEqual([
      ['g1', 'owner'],
      ['g2', null],
    ]);
    // No role rule: the role is not the directory's to decide.
    expect(outcome.role).toBeNull();
  });
});

describe('safeReturnTo', () => {
  it('allows dashboard paths only', () => {
    expect(safeReturnTo('/settings', '/')).toBe('/settings');
    expect(safeReturnTo('/groups/abc', '/')).toBe('/groups/abc');
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil',
      '/x',
      '/settings/../x',
      'settings',
      '/settings?x=1',
    ]) {
      expect(safeReturnTo(bad, '/')).toBe('/');
    }
  });
});
