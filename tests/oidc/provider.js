// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the
// single sign-on tests. It stands in for an organisation's identity provider (Microsoft Entra ID
// in most councils): discovery, authorization code with PKCE, signed ID tokens, end session.
//
//   PORT=4100 APP_URL=http://127.0.0.1:5000 PROVIDER=cambs node tests/oidc/provider.js
//
// PORT: where to listen (127.0.0.1 only); the issuer is http://127.0.0.1:PORT.
// APP_URL: the tracker's base URL, for the registered redirect and post-sign-out URIs.
// PROVIDER: the tracker's name for this provider (its callback is /sign-in/sso/<PROVIDER>/callback).
// Prints "ready <issuer>" once it listens; stops on SIGTERM.
//
// Signing in: the development interaction pages ask for a login and a password; the login is
// any email address (any password is accepted), and the provider asks no consent.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const appUrl = process.env.APP_URL;
const name = process.env.PROVIDER || 'cambs';
if (!port || !appUrl) {
  console.error('PORT and APP_URL must be set');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// The test client: what a council's IT team registers for the tracker.
const CLIENT_ID = 'prevent-tracker';
const CLIENT_SECRET = 'test-client-secret-not-for-production';

// The people this provider knows: anyone whose login is an email address, as an organisation's
// provider knows all its staff (the tracker decides who has an account). An address starting
// "unverified" comes with email_verified false, as an address the provider has not checked.
function person(login) {
  if (!/^[^@\s]+@[^@\s]+$/.test(login)) return undefined;
  const local = login.split('@')[0];
  const name = local.split(/[._-]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  return { sub: login, email: login, email_verified: !local.startsWith('unverified'), name };
}

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${appUrl}/sign-in/sso/${name}/callback`],
      post_logout_redirect_uris: [`${appUrl}/login`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // The tracker must send PKCE (S256), whatever this library's default for confidential clients.
  pkce: { methods: ['S256'], required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  // Plain HTTP on loopback: a SameSite=None cookie without Secure would be dropped by the browser.
  cookies: {
    keys: ['test-cookie-key-not-for-production'],
    long: { signed: true, sameSite: 'lax' },
    short: { signed: true, sameSite: 'lax' },
  },
  async findAccount(ctx, id) {
    const claims = person(id);
    if (!claims) return undefined;
    return { accountId: id, async claims() { return claims; } };
  },
  // A first-party application: the organisation has consented for its staff, so no consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
// Development interactions warn at start; the warning says nothing a test needs.
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
