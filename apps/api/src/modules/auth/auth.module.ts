import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { KeyAuthenticator, SessionAuthenticator } from '../../common/access.guard';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CredentialsRepository } from './credentials.repository';
import { ApiKeyPrincipals } from './key-authenticator';
import { LocalLoginPolicy } from './local-login-policy';
import { LocalStrategy } from './local.strategy';
import { LoginBackoff } from './login-backoff';
import { MfaAdminController, MfaController } from './mfa.controller';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [PassportModule, UsersModule, ApiKeysModule],
  controllers: [AuthController, MfaController, MfaAdminController],
  providers: [
    AuthService,
    CredentialsRepository,
    LocalLoginPolicy,
    LocalStrategy,
    LoginBackoff,
    MfaRepository,
    MfaService,
    SessionsRepository,
    SessionsService,
    { provide: SessionAuthenticator, useExisting: SessionsService },
    { provide: KeyAuthenticator, useClass: ApiKeyPrincipals },
  ],
  exports: [SessionAuthenticator, KeyAuthenticator, SessionsService, LocalLoginPolicy, MfaService],
})
export class AuthModule {}
