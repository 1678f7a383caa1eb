// What the dashboard and the API agree on for the audit log: the closed list of actions, who can
// act, how an event came out, and the shapes of an event, a page of events and a chain check.

/**
 * Every action the audit log records. A closed list: the database stores only these, and a new
 * mutation adds its action here first.
 */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.update',
  'user.delete',
  'user.password_reset',
  'user.mfa_reset',
  'role.create',
  'role.update',
  'role.delete',
  'account.create',
  'account.update',
  'account.delete',
  'account.share',
  'account.unshare',
  'account.reauth',
  'account.assign_owner',
  'account.pause',
  'account.resume',
  'account.refresh_usage',
  'account.oauth_start',
  'key.create',
  'key.update',
  'key.revoke',
  'key.rotate',
  'key.delete',
  'group.create',
  'group.update',
  'group.delete',
  'group.member_add',
  'group.member_update',
  'group.member_remove',
  'service_account.create',
  'service_account.update',
  'service_account.delete',
  'service_account.key_create',
  'settings.update',
  'usage.update',
  'profile.update',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_change',
  'auth.mfa_enrol',
  'auth.mfa_disable',
  'auth.mfa_recovery_regenerate',
  'auth.mfa_failed',
  'authz.denied',
  'audit.export',
  'audit.purge',
  'scim_token.create',
  'scim_token.revoke',
  'identity_provider.create',
  'identity_provider.update',
  'identity_provider.delete',
  'identity_provider.test',
  'identity_provider.invite',
  'identity_provider.uninvite',
  'identity.link',
  'identity.unlink',
  'auth_settings.update',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Who acted: a person (dashboard session or their own key), a service account (through its key)
 * or a company directory through its SCIM token (`service`, with the token's id and name), nobody
 * signed in (failed logins, denials before authentication), or the server itself (retention,
 * chain checkpoints).
 */
export const AUDIT_ACTOR_KINDS = ['human', 'service', 'anonymous', 'system'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}

export interface AuditEventDto {
  id: string;
  /** ISO time from the database clock. */
  at: string;
  action: AuditAction;
  outcome: AuditOutcome;
  /** A snapshot of who acted: the label stays what it was even after a rename or delete. */
  actor: { id: string | null; kind: AuditActorKind; label: string | null };
  /** 'session', 'api_key:<prefix>', 'scim_token:<prefix>', or null (anonymous, system). */
  authMethod: string | null;
  target: { type: string | null; id: string | null; label: string | null };
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** The changed fields only, secrets never included. */
  changes: { before?: Record<string, unknown>; after?: Record<string, unknown>; count?: number } | null;
}

export interface AuditPage {
  items: AuditEventDto[];
  /** Pass as `cursor` for the next (older) page; null when this is the last page. */
  nextCursor: string | null;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** How many sealed rows were checked. */
  checked: number;
  /** The first row whose hash or link does not match, when not ok. */
  firstBadId?: string;
}

/** The filters of GET /api/audit-events and /export (all optional). */
export interface AuditQuery {
  actorId?: string;
  action?: AuditAction;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  /** ISO time, inclusive. */
  from?: string;
  /** ISO time, exclusive. */
  to?: string;
  cursor?: string;
  limit?: number;
}
