#!/usr/bin/env node
// The company identity provider of the browser test: oidc-provider (a certified OpenID provider)
// with its own login and consent pages, one confidential client for the dashboard, and a few
// people with a groups claim. Started by the runner as a child process:
//
//   node apps/web/e2e/lib/oidc-provider.mjs --port <port> --redirect-uri <uri> --client-id <id> --client-secret <s>
//
// prints "listening on http://127.0.0.1:<port>" when ready.
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const port = Number(option('--port') ?? 0);
const redirectUri = option('--redirect-uri');
if (!redirectUri || !option('--client-id') || !option('--client-secret')) {
  console.error(
    'usage: oidc-provider.mjs --port <port> --redirect-uri <uri> --client-id <id> --client-secret <secret>',
  );
  process.exit(2);
}

const OIDC_CLIENT = { clientId: option('--client-id'), clientSecret: option('--client-secret') };

const PEOPLE = {
  olivia: { email: 'olivia@example.test', email_verified: true, preferred_username: 'olivia', groups: ['engineering'] },
  oscar: { email: 'oscar@example.test', email_verified: true, preferred_username: 'oscar', groups: [] },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: OIDC_CLIENT.clientId,
      client_secret: OIDC_CLIENT.clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  cookies: { keys: ['e2e-oidc-provider-cookie-key'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
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
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  findAccount: (_ctx, sub) => {
    const person = PEOPLE[sub];
    return person ? { accountId: sub, claims: () => ({ sub, ...person }) } : undefined;
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${issuer}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
