// Runs passport-local on the login route, after checking the body's shape so a malformed request
// gets a 400 that says what is wrong rather than a bare 401.
import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { PASSWORD_MAX_LENGTH } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';

@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  canActivate(context: ExecutionContext) {
    const body = context.switchToHttp().getRequest().body as Record<string, unknown> | undefined;
    const username = body?.username;
    const password = body?.password;
    if (typeof username !== 'string' || username.trim() === '' || username.length > 64) {
      throw ApiError.badRequest('username is required (at most 64 characters).', 'validation_failed');
    }
    if (typeof password !== 'string' || password === '' || password.length > PASSWORD_MAX_LENGTH) {
      throw ApiError.badRequest(
        `password is required (at most ${PASSWORD_MAX_LENGTH} characters).`,
        'validation_failed',
      );
    }
    return super.canActivate(context);
  }

  handleRequest<TUser>(error: unknown, user: TUser): TUser {
    if (error) throw error;
    if (!user) throw ApiError.unauthenticated('Invalid username or password.', 'invalid_credentials');
    return user;
  }
}
