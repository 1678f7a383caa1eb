// The guard's view of API keys: the key a request carries, resolved by the API-key authenticator
// (cache first, the same 401s as the proxy), turned into its principal for /api routes.
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { KeyAuthenticator } from '../../common/access.guard';
import { keyPrincipal } from '../../common/key-permissions';
import type { Principal } from '../../common/principal';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service';
import { keyFromHeaders } from '../api-keys/key-secret';

@Injectable()
export class ApiKeyPrincipals extends KeyAuthenticator {
  constructor(private readonly keys: ApiKeyAuthService) {
    super();
  }

  async authenticate(headers: FastifyRequest['headers']): Promise<Principal | null> {
    const raw = keyFromHeaders(headers);
    if (raw === null) return null;
    return keyPrincipal(await this.keys.authenticate(raw));
  }
}
