// Every migration, in order. New migrations are appended here and committed with their feature.
import { DashboardUsers1764000000000 } from './1764000000000-dashboard-users';

export const MIGRATIONS = [DashboardUsers1764000000000];
