import { Logger } from '@nestjs/common';
import type { TokenVault } from '../../../common/crypto/token-vault';
import { DomainEvents } from '../../../common/events';
import type { AccountEvent } from '../../accounts/account-state';
import type { AccountStateService } from '../../accounts/account-state.service';
import type { AccountRow, AccountsRepository } from '../../accounts/accounts.repository';
import type { AccountsService } from '../../accounts/accounts.service';
import { GroupIndex } from '../../groups/group-index';
import { AccountPool } from './account-pool';

const NOW = Date.now();

function row(id: string, change: Partial<AccountRow> = {}): AccountRow {
  return {
    id,
    ownerUserId: 'owner-1',
    ownerUsername: 'alice',
    chatgptAccountId: `seat-${id}`,
    chatgptUserId: 'user',
    email: null,
    planType: null,
    alias: null,
    status: 'active',
    statusReason: null,
    cooldownUntil: null,
    accessTokenEnc: `enc-${id}`,
    refreshTokenEnc: '',
    idTokenEnc: '',
    tokenExpiresAt: null,
    lastRefreshAt: null,
    primaryUsedPercent: 10,
    primaryWindowMinutes: 300,
    primaryResetsAt: null,
    secondaryUsedPercent: 10,
    secondaryWindowMinutes: 10080,
    secondaryResetsAt: null,
    creditsBalance: null,
    creditsUnlimited: null,
    quotaFetchedAt: null,
    createdAt: new Date(NOW),
    updatedAt: new Date(NOW),
    ...change,
  } as AccountRow;
}

async function pool(rows: AccountRow[]) {
  const reported: [string, AccountEvent][] = [];
  const recorded: string[] = [];
  const repository = {
    listAllUnscoped: async () => rows,
    findByIdUnscoped: async (id: string) => rows.find((r) => r.id === id) ?? null,
  } as unknown as AccountsRepository;
  const service = {
    recordQuota: async (id: string) => void recorded.push(id),
  } as unknown as AccountsService;
  const states = { report: (id: string, event: AccountEvent) => void reported.push([id, event]) };
  const vault = { decrypt: (enc: string) => enc.replace('enc-', 'token-') } as unknown as TokenVault;
  const instance = new AccountPool(
    repository,
    service,
    states as unknown as AccountStateService,
    vault,
    new DomainEvents(),
    new GroupIndex(
      { relationsUnscoped: async () => ({ members: [], owned: [], shares: [] }) } as never,
      new DomainEvents(),
    ),
  );
  await instance.load();
  return { instance, reported, recorded };
}

describe('AccountPool.report', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('applies a 429 at once and hands it to the accounts module to persist, without awaiting it', async () => {
    const { instance, reported } = await pool([row('a')]);
    instance.report('a', { type: 'rate_limited', until: NOW + 60_000 }, NOW);
    expect(instance.get('a')).toMatchObject({ status: 'rate_limited', cooldownUntil: NOW + 60_000 });
    expect(instance.usability('a', NOW)).toMatchObject({ usable: false, reason: 'cooling_down' });
    expect(reported).toEqual([['a', { type: 'rate_limited', until: NOW + 60_000 }]]);
    // The same reset again changes nothing and writes nothing.
    instance.report('a', { type: 'rate_limited', until: NOW + 60_000 }, NOW);
    expect(reported).toHaveLength(1);
  });

  it('deactivates an account refused with 402/403 and stops offering it', async () => {
    const { instance, reported } = await pool([row('a')]);
    instance.report('a', { type: 'account_refused', status: 402, message: 'Workspace deactivated' });
    expect(instance.get('a')).toMatchObject({
      status: 'deactivated',
      statusReason: 'The upstream refused this account (HTTP 402): Workspace deactivated',
    });
    expect(instance.usability('a')).toEqual({ usable: false, reason: 'deactivated' });
    expect(reported.map(([, event]) => event.type)).toEqual(['account_refused']);
  });

  it('keeps backoffs in memory only', async () => {
    const { instance, reported } = await pool([row('a')]);
    instance.backOff('a', 5_000);
    instance.report('a', { type: 'connection_failed' });
    expect(instance.get('a')!.backoffUntil).toBeGreaterThan(Date.now());
    expect(instance.usability('a')).toMatchObject({ usable: false, reason: 'backing_off' });
    expect(reported).toEqual([]);
  });

  it('keeps coolDown as a wrapper that records the reason', async () => {
    const { instance, reported } = await pool([row('a')]);
    instance.coolDown('a', Date.now() + 60_000, 'limit reached');
    expect(instance.get('a')).toMatchObject({ status: 'rate_limited', statusReason: 'limit reached' });
    expect(reported[0][1]).toMatchObject({ type: 'rate_limited', message: 'limit reached' });
  });

  it('judges observed quota windows at once and leaves their persistence to the debounced quota write', async () => {
    const { instance, reported, recorded } = await pool([row('a')]);
    const resetsAt = new Date(Date.now() + 3600_000);
    instance.observeQuota('a', {
      primary: { usedPercent: 100, windowMinutes: 300, resetsAt },
      secondary: null,
      creditsBalance: null,
      creditsUnlimited: null,
      planType: null,
    });
    expect(instance.get('a')).toMatchObject({ status: 'quota_exceeded', cooldownUntil: resetsAt.getTime() });
    expect(reported).toEqual([]);
    await instance.persistQuota();
    expect(recorded).toEqual(['a']);
  });

  it('ignores unknown accounts', async () => {
    const { instance, reported } = await pool([]);
    instance.report('missing', { type: 'account_refused', status: 403, message: 'no' });
    expect(instance.usability('missing')).toBeNull();
    expect(reported).toEqual([]);
  });

  it('keeps an account object in place, so requests in flight see the change', async () => {
    const { instance } = await pool([row('a')]);
    const held = instance.forOwner('owner-1')[0];
    instance.report('a', { type: 'paused' });
    expect(held.status).toBe('paused');
  });
});
