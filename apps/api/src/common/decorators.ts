// Route-level auth declarations. Every handler carries exactly one of @Public() or
// @RequirePermission(); the global AccessGuard denies anything else.
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Permission } from '@codex-lb/shared';
import type { Principal } from './principal';

export const PUBLIC_KEY = 'codex-lb:public';
export const PERMISSION_KEY = 'codex-lb:permission';
export const ALLOW_PENDING_PASSWORD_KEY = 'codex-lb:allow-pending-password';
export const ALLOW_PENDING_MFA_KEY = 'codex-lb:allow-pending-mfa';

export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);

/** Routes a user who must change their password may still call. */
export const AllowPendingPasswordChange = () => SetMetadata(ALLOW_PENDING_PASSWORD_KEY, true);

/** Routes a user who must set up two-factor sign-in (CODEX_LB_MFA_REQUIRED) may still call. */
export const AllowPendingMfaEnrolment = () => SetMetadata(ALLOW_PENDING_MFA_KEY, true);

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined => ctx.switchToHttp().getRequest().principal,
);
