// The relying party: openid-client does the protocol (discovery, the authorization URL with PKCE
// S256, the code exchange and the ID token's claims: issuer, audience, expiry, nonce, alg never
// `none`). openid-client does not check the signature of an ID token that came from the token
// endpoint, so it is checked here against the provider's JWKS with jose: asymmetric algorithms
// only, a key unknown to the cached set refetches the set (at most once per cool-down), so a
// provider's key rotation is picked up on the next sign-in.
//
// Both libraries are ES modules only: loaded with import(), which Node 20.19+ serves to the
// compiled CommonJS through require(esm), and Jest through its VM modules.
import { Injectable } from '@nestjs/common';
import type * as OidcModule from 'openid-client';
import type * as JoseModule from 'jose';

type Oidc = typeof OidcModule;
type Jose = typeof JoseModule;

let oidcModule: Promise<Oidc> | undefined;
let joseModule: Promise<Jose> | undefined;
const loadOidc = () => (oidcModule ??= import('openid-client'));
const loadJose = () => (joseModule ??= import('jose'));

/** A discovered provider is reused this long, then discovered again. */
const DISCOVERY_TTL_MS = 10 * 60_000;
/** Unknown signing keys refetch the JWKS at most this often. */
export const JWKS_COOLDOWN_MS = 5_000;
const HTTP_TIMEOUT_SECONDS = 10;
const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface OidcProviderConfig {
  id: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  /** Changes whenever the provider row changes, so an edit drops the cached discovery. */
  version: string;
}

export interface IdTokenClaims {
  iss: string;
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  amr?: unknown;
  [claim: string]: unknown;
}

/** Claims about the sign-in itself: only the signed ID token may state them. */
const ID_TOKEN_ONLY = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'azp',
  'at_hash',
  'c_hash',
  'auth_time',
  'acr',
  'amr',
  'sid',
]);

/**
 * The ID token's claims, with those it lacks taken from the userinfo answer (e-mail,
 * email_verified, names, groups, a directory link claim). What the ID token says wins, and claims
 * about the sign-in itself (amr, acr, auth_time, ...) come from the ID token only.
 */
export function withUserInfo(claims: IdTokenClaims, userinfo: Record<string, unknown> | null): IdTokenClaims {
  if (!userinfo) return claims;
  const merged: IdTokenClaims = { ...claims };
  for (const [name, value] of Object.entries(userinfo)) {
    if (!ID_TOKEN_ONLY.has(name) && merged[name] === undefined) merged[name] = value;
  }
  return merged;
}

/** A sign-in the protocol refused; the message is safe to show (no token, no secret). */
export class OidcError extends Error {}

interface Discovered {
  version: string;
  at: number;
  config: OidcModule.Configuration;
  jwks: ReturnType<Jose['createRemoteJWKSet']>;
}

/** Plain http issuers are accepted on loopback only (a provider on the same machine, tests). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** What each ID token claim's failure means, in words a person signing in can pass on. */
const CLAIM_PROBLEMS: Record<string, string> = {
  nonce: "the ID token's nonce does not belong to this sign-in",
  aud: 'the ID token was issued for another client (audience)',
  azp: 'the ID token was issued for another client (authorized party)',
  iss: 'the ID token comes from another issuer',
  exp: 'the ID token has expired',
  iat: 'the ID token was issued at an impossible time',
  nbf: 'the ID token is not valid yet',
  sub: 'the ID token names no subject',
  auth_time: "the ID token's authentication time is missing or too old",
};

/** The library's message, the claim its check names, and the causes under it; no token, no secret. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    if (current instanceof Error && current.message) parts.push(current.message);
    const cause = (current as { cause?: unknown }).cause;
    const claim = cause && typeof cause === 'object' ? (cause as { claim?: unknown }).claim : undefined;
    if (typeof claim === 'string') {
      parts.unshift(CLAIM_PROBLEMS[claim] ?? `the ID token's "${claim}" claim is wrong`);
      break;
    }
    const header = cause && typeof cause === 'object' ? (cause as { header?: { alg?: unknown } }).header : undefined;
    if (header && typeof header.alg === 'string') parts.push(`alg "${header.alg}"`);
    current = cause instanceof Error ? cause : undefined;
  }
  return safeMessage([...new Set(parts)].join(': '));
}

function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

@Injectable()
export class OidcClient {
  private readonly cache = new Map<string, Promise<Discovered>>();

  /** Discovery (cached per provider version); a failure is not cached. */
  private discovered(provider: OidcProviderConfig, fresh = false): Promise<Discovered> {
    const cached = this.cache.get(provider.id);
    if (!fresh && cached) {
      return cached.then((entry) =>
        entry.version === provider.version && Date.now() - entry.at < DISCOVERY_TTL_MS
          ? entry
          : this.discover(provider),
      );
    }
    return this.discover(provider);
  }

  private discover(provider: OidcProviderConfig): Promise<Discovered> {
    const promise = (async () => {
      const [oidc, jose] = await Promise.all([loadOidc(), loadJose()]);
      const issuer = new URL(provider.issuer);
      const insecure = isLoopbackHttp(issuer);
      if (issuer.protocol !== 'https:' && !insecure) {
        throw new OidcError('The issuer must be an https:// URL.');
      }
      let config: OidcModule.Configuration;
      try {
        config = await oidc.discovery(
          issuer,
          provider.clientId,
          provider.clientSecret ?? undefined,
          provider.clientSecret ? oidc.ClientSecretPost(provider.clientSecret) : oidc.None(),
          { execute: insecure ? [oidc.allowInsecureRequests] : [], timeout: HTTP_TIMEOUT_SECONDS },
        );
      } catch (error) {
        throw new OidcError(`Discovery at ${issuer.origin} failed: ${safeMessage(error)}`);
      }
      const jwksUri = config.serverMetadata().jwks_uri;
      if (!jwksUri)
        throw new OidcError('The provider publishes no jwks_uri, so ID token signatures cannot be checked.');
      const jwks = jose.createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: JWKS_COOLDOWN_MS,
        timeoutDuration: HTTP_TIMEOUT_SECONDS * 1000,
      });
      return { version: provider.version, at: Date.now(), config, jwks };
    })();
    this.cache.set(provider.id, promise);
    promise.catch(() => {
      if (this.cache.get(provider.id) === promise) this.cache.delete(provider.id);
    });
    return promise;
  }

  forget(providerId: string): void {
    this.cache.delete(providerId);
  }

  async authorizationUrl(
    provider: OidcProviderConfig,
    request: { redirectUri: string; scopes: string[]; state: string; nonce: string; codeVerifier: string },
  ): Promise<string> {
    const oidc = await loadOidc();
    const { config } = await this.discovered(provider);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: request.redirectUri,
      scope: request.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    });
    return url.href;
  }

  /**
   * Exchanges the code and returns the ID token's claims, every check passed, completed by the
   * provider's userinfo answer (see withUserInfo).
   */
  async exchange(
    provider: OidcProviderConfig,
    callback: { currentUrl: URL; redirectUri: string; codeVerifier: string; state: string; nonce: string },
  ): Promise<IdTokenClaims> {
    const [oidc, jose] = await Promise.all([loadOidc(), loadJose()]);
    const { config, jwks } = await this.discovered(provider);
    let tokens: Awaited<ReturnType<Oidc['authorizationCodeGrant']>>;
    try {
      tokens = await oidc.authorizationCodeGrant(
        config,
        callback.currentUrl,
        {
          pkceCodeVerifier: callback.codeVerifier,
          expectedState: callback.state,
          expectedNonce: callback.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: callback.redirectUri },
      );
    } catch (error) {
      throw new OidcError(`The provider's answer was refused: ${describeError(error)}`);
    }
    const claims = tokens.claims();
    if (!tokens.id_token || !claims) throw new OidcError('The provider returned no ID token.');
    try {
      await jose.jwtVerify(tokens.id_token, jwks, {
        algorithms: ID_TOKEN_ALGORITHMS,
        issuer: config.serverMetadata().issuer,
        audience: provider.clientId,
      });
    } catch (error) {
      throw new OidcError(`The ID token's signature was refused: ${describeError(error)}`);
    }
    // Many providers (Okta among them) put only a few claims in an ID token issued with an access
    // token, and e-mail, name and groups in the userinfo answer. openid-client checks that the
    // answer is about the ID token's subject.
    let userinfo: Record<string, unknown> | null = null;
    if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      try {
        userinfo = (await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)) as Record<string, unknown>;
      } catch (error) {
        throw new OidcError(`The provider's userinfo endpoint failed: ${describeError(error)}`);
      }
    }
    return withUserInfo(claims as IdTokenClaims, userinfo);
  }

  /**
   * The "test connection" action: discovery from scratch, then a token request with a code that
   * cannot exist. A provider that accepts the client answers invalid_grant; a wrong client id or
   * secret answers invalid_client (or unauthorized_client).
   */
  async test(
    provider: OidcProviderConfig,
    redirectUri: string,
  ): Promise<{ discovery: { ok: boolean; message: string }; credentials: { ok: boolean; message: string } }> {
    let config: OidcModule.Configuration;
    try {
      ({ config } = await this.discovered(provider, true));
    } catch (error) {
      return {
        discovery: { ok: false, message: safeMessage(error) },
        credentials: { ok: false, message: 'Not checked: discovery failed.' },
      };
    }
    const discovery = { ok: true, message: `Discovered ${config.serverMetadata().issuer}.` };
    const oidc = await loadOidc();
    try {
      await oidc.genericGrantRequest(config, 'authorization_code', {
        code: 'codex-lb-connection-test',
        redirect_uri: redirectUri,
        code_verifier: oidc.randomPKCECodeVerifier(),
      });
      return { discovery, credentials: { ok: true, message: 'The provider accepted the client.' } };
    } catch (error) {
      const code = (error as { error?: unknown }).error;
      if (code === 'invalid_grant') {
        return { discovery, credentials: { ok: true, message: 'The provider accepted the client credentials.' } };
      }
      if (code === 'invalid_client' || code === 'unauthorized_client') {
        return {
          discovery,
          credentials: { ok: false, message: `The provider refused the client id or secret (${code}).` },
        };
      }
      return { discovery, credentials: { ok: false, message: safeMessage(error) } };
    }
  }

  async randomValues(): Promise<{ state: string; nonce: string; codeVerifier: string }> {
    const oidc = await loadOidc();
    return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  }
}
