// What a service passes to the audit log for one event. Who made the request, from where and how
// they authenticated come from the request context, never from the caller.
import type { AuditAction, AuditOutcome } from '@codex-lb/shared';
import type { Principal } from '../../common/principal';

export interface AuditTarget {
  type: string;
  id?: string | null;
  label?: string | null;
}

export interface AuditChanges {
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/**
 * A credential that acts without being a principal: a SCIM token. Recorded as a `service` actor
 * under the credential's own id and name, with `authMethod` (e.g. `scim_token:<prefix>`).
 */
export interface CredentialActor {
  kind: 'credential';
  id: string;
  label: string;
  authMethod: string;
}

export interface AuditInput {
  action: AuditAction;
  /** null = anonymous; omitted = the request context's principal (or the system outside a request). */
  actor?: Principal | CredentialActor | null;
  target?: AuditTarget;
  /** Defaults to success. */
  outcome?: AuditOutcome;
  reason?: string;
  /** Only changed, non-secret fields; the service strips any field whose name looks secret. */
  changes?: AuditChanges;
}
