// The OpenID provider the tests sign in through: the certified `oidc-provider` package
// (pinned in tests/peers/oidc/package.json), on 127.0.0.1, with a confidential client for
// Aegis and a few people with groups. Its development interactions accept a login form POST
// (any password), so a test can drive the whole sign-in over HTTP.
//
// Usage: node scripts/oidc-provider.mjs [--port N] [--modules DIR]
//   --port     0 (the default) takes a free port
//   --modules  the node_modules holding oidc-provider (default tests/peers/oidc/node_modules)
// Prints `listening <issuer>` once it accepts connections.
//
// One account is deliberately wrong: `foreign-audience` receives ID tokens addressed to
// another client, as a provider that mixes up its clients would, so that the tests can prove
// Aegis refuses a token that is not for it.
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    modules: { type: 'string', default: join(here, '..', 'tests', 'peers', 'oidc', 'node_modules') },
  },
});
const { default: Provider } = await import(
  pathToFileURL(join(resolve(args.modules), 'oidc-provider', 'lib', 'index.js')).href
);

export const CLIENT_ID = 'aegis';
export const CLIENT_SECRET = 'aegis-oidc-test-secret-0123456789';

// People of the test directory: the login is the account id, groups go in the `groups` claim.
const PEOPLE = {
  'alice': { name: 'Alice Admin', groups: ['aegis-admins', 'staff'] },
  'bob': { name: 'Bob Red', groups: ['red-team', 'staff'] },
  'carol': { name: 'Carol Staff', groups: ['staff'] },
  'dave': { name: 'Dave Nogroup', groups: [] },
  'erin': { name: 'Erin Blue', groups: ['blue-team'] },
  'foreign-audience': { name: 'Foreign Audience', groups: ['aegis-admins'] },
};

// The server is bound first so that the issuer can name the port it got.
const server = createServer();
await new Promise((ok) => server.listen(Number(args.port), '127.0.0.1', ok));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [
        // The API tests' app announces this public address; the browser tests' server its own.
        'https://aegis.example/api/v1/sso/callback',
        `http://127.0.0.1:${process.env.AEGIS_E2E_PORT || 18080}/api/v1/sso/callback`,
      ],
    },
    {
      // The client the `foreign-audience` account's tokens are addressed to.
      client_id: 'another-application',
      client_secret: 'another-application-secret-0123456789',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://another.example/callback'],
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@idp.test`,
          email_verified: true,
          name: person.name,
          groups: person.groups,
        };
      },
    };
  },
  // Aegis is a first-party client: consent is granted without a screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
    await grant.save();
    return grant;
  },
  // Claims go into the ID token itself, as most providers configure it, not only userinfo.
  conformIdTokenClaims: false,
  ttl: { IdToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
});
// The fault injection described at the top: the ID token is signed by this provider as
// usual, but addressed to another client.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueMaybeForeign(options) {
  if (options?.use === 'idtoken' && this.available?.sub === 'foreign-audience') {
    const real = this.client;
    this.client = await provider.Client.find('another-application');
    try {
      return await issue.call(this, options);
    } finally {
      this.client = real;
    }
  }
  return issue.call(this, options);
};

server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
