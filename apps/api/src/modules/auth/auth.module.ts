import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionAuthenticator } from '../../common/access.guard';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LocalStrategy } from './local.strategy';
import { LoginBackoff } from './login-backoff';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [PassportModule, UsersModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    LocalStrategy,
    LoginBackoff,
    SessionsRepository,
    SessionsService,
    { provide: SessionAuthenticator, useExisting: SessionsService },
  ],
  exports: [SessionAuthenticator, SessionsService],
})
export class AuthModule {}
