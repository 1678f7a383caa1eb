// A real OpenID provider for the specs: oidc-provider (a certified OP) in the test process, on an
// ephemeral port, with its own users (e-mail, groups claim), a confidential client for codex-lb,
// key rotation, and logins completed without a page (the spec names who signs in next). For the
// ID tokens a real provider never mints (alg none, someone else's audience, an unknown key, an
// expired token), a hook rewrites the token endpoint's answer, so the gateway's own validation is
// what a spec exercises.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as JoseModule from 'jose';

export interface OpUser {
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
  groups?: string[];
}

export type IdTokenCraft = (
  claims: Record<string, unknown>,
  tools: { sign: (claims: Record<string, unknown>, key?: 'current' | 'unknown') => Promise<string> },
) => Promise<string>;

/** oidc-provider ships no types. */
type ProviderInstance = any;

export interface TestOp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, OpUser>;
  /** Who the next authorization logs in as, and the `amr` the login reports. */
  nextLogin: { sub: string; amr?: string[] };
  /** Set to rewrite the next token endpoint answer's ID token. */
  craft: IdTokenCraft | null;
  /** Replaces the signing key: new tokens carry a kid the gateway has not seen. */
  rotateKeys(): Promise<void>;
  /** Follows the authorization URL through the login to the callback; returns its query string. */
  authorize(authorizationUrl: string): Promise<URLSearchParams>;
  close(): Promise<void>;
}

const CLIENT_SECRET = 'op-client-secret-0123456789abcdef0123456789';

async function signingKey(jose: typeof JoseModule, kid: string) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

/**
 * thinIdTokens: an ID token issued with an access token carries only `sub` and the sign-in's own
 * claims; e-mail, profile and groups are in the userinfo answer (as Okta does).
 */
export async function startTestOp(redirectUris: string[], options: { thinIdTokens?: boolean } = {}): Promise<TestOp> {
  const jose = await import('jose');
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: any };
  let keys = [await signingKey(jose, 'key-1')];
  let generation = 1;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const op: Omit<TestOp, 'rotateKeys' | 'authorize' | 'close'> = {
    issuer,
    clientId: 'codex-lb',
    clientSecret: CLIENT_SECRET,
    users: new Map(),
    nextLogin: { sub: '' },
    craft: null,
  };

  const build = (): ProviderInstance => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: op.clientId,
          client_secret: CLIENT_SECRET,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys },
      cookies: { keys: ['test-op-cookie-key'] },
      scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      claims: {
        acr: null,
        amr: null,
        auth_time: null,
        iss: null,
        sid: null,
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['preferred_username'],
        groups: ['groups'],
      },
      conformIdTokenClaims: options.thinIdTokens === true,
      features: { devInteractions: { enabled: false } },
      findAccount: (_ctx: unknown, sub: string) => {
        const user = op.users.get(sub);
        if (!user) return undefined;
        return { accountId: sub, claims: () => ({ sub, ...user }) };
      },
    });
    provider.use(async (ctx: any, next: () => Promise<void>) => {
      await next();
      const craft = op.craft;
      if (ctx.path === '/token' && craft && ctx.body && typeof ctx.body.id_token === 'string') {
        op.craft = null;
        const claims = jose.decodeJwt(ctx.body.id_token) as Record<string, unknown>;
        ctx.body = {
          ...ctx.body,
          id_token: await craft(claims, {
            sign: async (payload, which = 'current') => {
              const jwk = which === 'current' ? keys[0] : await signingKey(jose, 'unknown-key');
              const key = await jose.importJWK(jwk, 'RS256');
              return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).sign(key);
            },
          }),
        };
      }
    });
    return provider;
  };

  let provider = build();
  let handler = provider.callback();

  // Logins and consent complete at once for the user the spec named.
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: op.nextLogin.sub, ...(op.nextLogin.amr ? { amr: op.nextLogin.amr } : {}) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope));
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  };
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      });
      return;
    }
    handler(req, res);
  });

  const authorize = async (authorizationUrl: string): Promise<URLSearchParams> => {
    const jar = new Map<string, string>();
    let url = authorizationUrl;
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(';');
        const index = pair.indexOf('=');
        jar.set(pair.slice(0, index), pair.slice(index + 1));
      }
      const location = response.headers.get('location');
      if (!location) throw new Error(`the provider answered ${response.status}: ${await response.text()}`);
      const next = new URL(location, url);
      if (next.origin !== issuer) return next.searchParams;
      url = next.href;
    }
    throw new Error('too many redirects at the provider');
  };

  return {
    ...op,
    get nextLogin() {
      return op.nextLogin;
    },
    set nextLogin(value) {
      op.nextLogin = value;
    },
    get craft() {
      return op.craft;
    },
    set craft(value) {
      op.craft = value;
    },
    async rotateKeys() {
      generation += 1;
      keys = [await signingKey(jose, `key-${generation}`)];
      provider = build();
      handler = provider.callback();
    },
    authorize,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
