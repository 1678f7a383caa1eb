// Every migration, in order. New migrations are appended here and committed with their feature.
import { DashboardUsers1764000000000 } from './1764000000000-dashboard-users';
import { Accounts1764000001000 } from './1764000001000-accounts';
import { ApiKeys1764000002000 } from './1764000002000-api-keys';
import { RequestLogs1764000003000 } from './1764000003000-request-logs';
import { RequestLogsHistory1764000004000 } from './1764000004000-request-logs-history';
import { DropUsageHistory1764000005000 } from './1764000005000-drop-usage-history';
import { WriteDeadLetters1764000006000 } from './1764000006000-write-dead-letters';
import { Groups1764000007000 } from './1764000007000-groups';
import { Roles1764000008000 } from './1764000008000-roles';
import { Audit1764000009000 } from './1764000009000-audit';
import { Mfa1764000010000 } from './1764000010000-mfa';
import { Identity1764000011000 } from './1764000011000-identity';
import { Scim1764000012000 } from './1764000012000-scim';
import { IdentityScimLink1764000013000 } from './1764000013000-identity-scim-link';
import { RequestLogIndexes1764000014000 } from './1764000014000-request-log-indexes';
import { RequestLogAscendingIndexes1764000015000 } from './1764000015000-request-log-ascending-indexes';

export const MIGRATIONS = [
  DashboardUsers1764000000000,
  Accounts1764000001000,
  ApiKeys1764000002000,
  RequestLogs1764000003000,
  RequestLogsHistory1764000004000,
  DropUsageHistory1764000005000,
  WriteDeadLetters1764000006000,
  Groups1764000007000,
  Roles1764000008000,
  Audit1764000009000,
  Mfa1764000010000,
  Identity1764000011000,
  Scim1764000012000,
  IdentityScimLink1764000013000,
  RequestLogIndexes1764000014000,
  RequestLogAscendingIndexes1764000015000,
];
