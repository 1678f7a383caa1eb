// Runs passport-local on the login route, after checking the body's shape so a malformed request
// gets a 400 that says what is wrong rather than a bare 401.
import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { PASSWORD_MAX_LENGTH } from '@codex-lb/shared';
import { ApiError } from '../../common/api-error';
import { textProblem } from '../../common/validation';

@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  canActivate(context: ExecutionContext) {
    const body = context.switchToHttp().getRequest().body as Record<string, unknown> | undefined;
    const username = body?.username;
    const password = body?.password;
    // The same string rules as every DTO: no NUL, control characters or unpaired surrogates
    // reach the users query. Passwords are only compared with a hash, so any character but NUL
    // may be typed.
    const usernameProblem =
      typeof username === 'string' && username.trim() === '' ? 'is required' : textProblem(username, { max: 64 });
    if (usernameProblem) {
      throw ApiError.badRequest(`username ${usernameProblem} (at most 64 characters).`, 'validation_failed');
    }
    const passwordProblem = textProblem(password, { max: PASSWORD_MAX_LENGTH, min: 1, allowControl: true });
    if (passwordProblem) {
      throw ApiError.badRequest(
        `password ${passwordProblem} (at most ${PASSWORD_MAX_LENGTH} characters).`,
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
