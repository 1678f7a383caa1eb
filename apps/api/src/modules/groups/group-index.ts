// The in-memory view of who belongs to which group with which role, which accounts each group
// owns, and which accounts are shared into it. The router's effective pool and the API's group
// scopes read only this, so neither costs a database round trip. It is loaded once at start, and
// every change (membership, share, ownership, a group deleted) reloads the groups it touched
// before the change's response is sent, so the very next request sees it.
import { DomainEvents } from '../../common/events';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ROUTING_GROUP_ROLES, type GroupRole } from '@codex-lb/shared';
import { GroupsRepository, type GroupRelations } from './groups.repository';

/** What the pool rule needs to know about groups (the live index, or a what-if view of it). */
export interface GroupView {
  /** The principal's role in the group, or undefined when not a member. */
  roleOf(groupId: string, principalId: string): GroupRole | undefined;
  /** Accounts the group owns. */
  ownedBy(groupId: string): ReadonlySet<string>;
  /** Accounts shared into the group. */
  sharedInto(groupId: string): ReadonlySet<string>;
  /** The group that owns the account, if a group does. */
  groupOwnerOf(accountId: string): string | undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

export function canRouteThrough(role: GroupRole | undefined): boolean {
  return role !== undefined && ROUTING_GROUP_ROLES.includes(role);
}

@Injectable()
export class GroupIndex implements GroupView, OnApplicationBootstrap {
  private readonly logger = new Logger('GroupIndex');
  private readonly members = new Map<string, Map<string, GroupRole>>();
  private readonly byPrincipal = new Map<string, Map<string, GroupRole>>();
  private readonly owned = new Map<string, Set<string>>();
  private readonly shared = new Map<string, Set<string>>();
  private readonly accountGroup = new Map<string, string>();
  private ready: Promise<void> | null = null;

  constructor(
    private readonly repository: GroupsRepository,
    private readonly events: DomainEvents,
  ) {
    // Another replica changed these groups (a no-op event in one process), or invalidations were
    // missed and everything is read again.
    events.on('group.changed', ({ groupIds }) => void this.refresh(groupIds));
    events.on('caches.resync', () => void this.refreshAll());
  }

  onApplicationBootstrap(): Promise<void> {
    return this.load();
  }

  load(): Promise<void> {
    this.ready ??= this.repository.relationsUnscoped().then((relations) => {
      const groups = new Set<string>([
        ...relations.members.map((m) => m.groupId),
        ...relations.owned.map((o) => o.groupId),
        ...relations.shares.map((s) => s.groupId),
      ]);
      for (const groupId of groups) this.replace(groupId, relations);
      this.logger.log(`Loaded ${groups.size} group(s)`);
    });
    return this.ready;
  }

  /** Re-reads one or more groups' members, owned accounts and shares. Await it before answering. */
  async reload(...groupIds: string[]): Promise<void> {
    const ids = [...new Set(groupIds)];
    if (ids.length === 0) return;
    await this.refresh(ids);
    this.events.broadcast('group.changed', { groupIds: ids });
  }

  private async refresh(ids: string[]): Promise<void> {
    try {
      const relations = await this.repository.relationsUnscoped(ids);
      for (const groupId of ids) this.replace(groupId, relations);
    } catch (error) {
      this.logger.warn(`Reloading groups failed: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Reads every group again, dropping the ones gone. */
  private async refreshAll(): Promise<void> {
    try {
      const relations = await this.repository.relationsUnscoped();
      const groups = new Set<string>([
        ...this.members.keys(),
        ...this.owned.keys(),
        ...this.shared.keys(),
        ...relations.members.map((m) => m.groupId),
        ...relations.owned.map((o) => o.groupId),
        ...relations.shares.map((s) => s.groupId),
      ]);
      for (const groupId of groups) this.replace(groupId, relations);
    } catch (error) {
      this.logger.warn(`Reloading every group failed: ${(error as Error).message}`);
    }
  }

  roleOf(groupId: string, principalId: string): GroupRole | undefined {
    return this.members.get(groupId)?.get(principalId);
  }

  ownedBy(groupId: string): ReadonlySet<string> {
    return this.owned.get(groupId) ?? EMPTY;
  }

  sharedInto(groupId: string): ReadonlySet<string> {
    return this.shared.get(groupId) ?? EMPTY;
  }

  groupOwnerOf(accountId: string): string | undefined {
    return this.accountGroup.get(accountId);
  }

  /** Every group the principal belongs to, with their role. */
  groupsOf(principalId: string): ReadonlyMap<string, GroupRole> {
    return this.byPrincipal.get(principalId) ?? new Map();
  }

  private replace(groupId: string, relations: GroupRelations): void {
    for (const principalId of this.members.get(groupId)?.keys() ?? [])
      this.byPrincipal.get(principalId)?.delete(groupId);
    for (const accountId of this.owned.get(groupId) ?? []) {
      if (this.accountGroup.get(accountId) === groupId) this.accountGroup.delete(accountId);
    }
    const members = new Map<string, GroupRole>();
    for (const row of relations.members) {
      if (row.groupId !== groupId) continue;
      members.set(row.principalId, row.role);
      let groups = this.byPrincipal.get(row.principalId);
      if (!groups) this.byPrincipal.set(row.principalId, (groups = new Map()));
      groups.set(groupId, row.role);
    }
    const owned = new Set(relations.owned.filter((o) => o.groupId === groupId).map((o) => o.accountId));
    for (const accountId of owned) this.accountGroup.set(accountId, groupId);
    const shared = new Set(relations.shares.filter((s) => s.groupId === groupId).map((s) => s.accountId));
    this.setOrDrop(this.members, groupId, members);
    this.setOrDrop(this.owned, groupId, owned);
    this.setOrDrop(this.shared, groupId, shared);
  }

  private setOrDrop<V extends { size: number }>(map: Map<string, V>, key: string, value: V): void {
    if (value.size === 0) map.delete(key);
    else map.set(key, value);
  }
}
