// A real OpenID Provider (node-oidc-provider) set up the way HelseID behaves, for the tests
// of the service's HelseID sign-in. Started by tests/oidc_provider.py:
//
//   node tests/oidc_provider/provider.mjs config.json
//
// config.json: { "port": N, "issuer": "http://127.0.0.1:N",
//                "clients": [{ "client_id", "jwks": {"keys": [public JWK]}, "redirect_uris",
//                              "post_logout_redirect_uris" }],
//                "resources": { "<resource indicator>": "<its scopes>" },  (optional)
//                "ttl": { "AccessToken": seconds, ... } }                  (optional)
//
// Plain HTTP on 127.0.0.1 only: HelseID itself is HTTPS, but a test has no certificate to
// offer and oidc-provider marks its cookies Secure only when the request came over TLS.

import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const HPR_CLAIM = 'helseid://claims/hpr/hpr_number';
const ASSURANCE_CLAIM = 'helseid://claims/identity/assurance_level';
const SECURITY_LEVEL_CLAIM = 'helseid://claims/identity/security_level';
const HPR_SCOPE = 'helseid://scopes/identity/hpr_number';
const ASSURANCE_SCOPE = 'helseid://scopes/identity/assurance_level';

// The test registry's GPs (tests/conftest.py); any other number is "Lege <hpr>".
const NAMES = new Map([
  ['9144889', 'Astrid Info'],
  ['1810001', 'Kristian Larsen'],
  ['5550123', 'Jacob Tore'],
]);

// What each scope puts in the ID token (conformIdTokenClaims: false puts them there rather
// than only at userinfo, as HelseID does).
const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name'],
  [HPR_SCOPE]: [HPR_CLAIM],
  [ASSURANCE_SCOPE]: [ASSURANCE_CLAIM, SECURITY_LEVEL_CLAIM],
};

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const resources = config.resources ?? {};

// The login name typed at the dev-interactions prompt is the account id, read as a small
// grammar so that a test can produce each case HelseID can send:
//   "9144889"      a GP with that HPR number, assurance level high
//   "low-9144889"  the same GP signed in with a weaker means: assurance level substantial
//   "nohpr" (or any other name that is not digits)  a person without an HPR number
function accountClaims(accountId) {
  const low = /^low-(\d+)$/.exec(accountId);
  const hpr = low ? low[1] : (/^\d+$/.test(accountId) ? accountId : undefined);
  const name = hpr ? (NAMES.get(hpr) ?? `Lege ${hpr}`) : 'Ola Nordmann';
  const [givenName, ...family] = name.split(' ');
  return {
    name,
    given_name: givenName,
    family_name: family.join(' '),
    ...(hpr ? { [HPR_CLAIM]: hpr } : {}),
    [ASSURANCE_CLAIM]: low ? 'substantial' : 'high',
    [SECURITY_LEVEL_CLAIM]: low ? '3' : '4',
  };
}

async function findAccount(ctx, accountId) {
  return {
    accountId,
    async claims() {
      // `sub` is replaced by the pairwise identifier below before it leaves the provider.
      return { sub: accountId, ...accountClaims(accountId) };
    },
  };
}

// The signing key of ID tokens and JWT access tokens, new each run: tests fetch the JWKS.
function signingKeys() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' }] };
}

// No page of this provider loads anything from elsewhere: the built-in pages @import a web
// font, which a browser test would otherwise try to fetch from the internet.
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:";

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    jwks: client.jwks,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    application_type: 'web',
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    // HelseID authenticates clients only with private_key_jwt.
    token_endpoint_auth_method: 'private_key_jwt',
    require_pushed_authorization_requests: true,
    dpop_bound_access_tokens: true,
    id_token_signed_response_alg: 'RS256',
  })),
  clientAuthMethods: ['private_key_jwt'],
  enabledJWA: {
    clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    dPoPSigningAlgValues: ['RS256', 'PS256', 'ES256'],
  },
  jwks: signingKeys(),
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    // Cookies belong to a host, not a port: names of our own, so that the provider's
    // session cookie on 127.0.0.1 cannot be mistaken for the service's.
    names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
  },
  scopes: ['openid', 'offline_access', 'profile', HPR_SCOPE, ASSURANCE_SCOPE],
  claims: { ...CLAIMS_BY_SCOPE, sid: null, auth_time: null, acr: null, iss: null },
  conformIdTokenClaims: false,
  // HelseID's `sub` is an opaque pseudonym, not the HPR number: pairwise subjects keep a
  // client from mistaking one for the other.
  subjectTypes: ['pairwise'],
  async pairwiseIdentifier(ctx, accountId, client) {
    return crypto.hash('sha256', `${client.sectorIdentifier}|${accountId}`, 'base64url');
  },
  findAccount,
  pkce: { required: () => true },
  responseTypes: ['code'],
  // Signed-in users are not asked for consent (nor are they at HelseID): the grant is
  // whatever the client asked for.
  async loadExistingGrant(ctx) {
    const { client, session, account } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    const grant = (grantId && await provider.Grant.find(grantId))
      || new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
    for (const [indicator, resourceServer] of Object.entries(ctx.oidc.resourceServers)) {
      grant.addResourceScope(indicator, resourceServer.scope);
    }
    await grant.save();
    return grant;
  },
  // JWT access tokens for an API asked for with `resource` (as HelseID issues them), with
  // the user's HelseID claims in them as well.
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken' || !token.resourceServer) return undefined;
    const grant = await provider.Grant.find(token.grantId);
    const scopes = new Set((grant?.getOIDCScope() ?? '').split(' '));
    const claims = accountClaims(token.accountId);
    const extra = {};
    for (const scope of [HPR_SCOPE, ASSURANCE_SCOPE]) {
      if (!scopes.has(scope)) continue;
      for (const claim of CLAIMS_BY_SCOPE[scope]) {
        if (claims[claim] !== undefined) extra[claim] = claims[claim];
      }
    }
    return extra;
  },
  ttl: {
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 8 * 3600,
    Grant: 8 * 3600,
    RefreshToken: 8 * 3600,
    ...config.ttl,
  },
  features: {
    devInteractions: { enabled: true },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    // HelseID answers a DPoP proof without a nonce with use_dpop_nonce and a DPoP-Nonce
    // header; the client retries once with it.
    dPoP: { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true },
    rpInitiatedLogout: {
      enabled: true,
      // oidc-provider's form, answering "sign me out" and submitting itself, so that a browser
      // test only waits for the redirect to post_logout_redirect_uri; the button is for a
      // browser without scripts. logout=yes ends the whole session, not only this client's.
      async logoutSource(ctx, form) {
        const answered = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
        ctx.body = page('Sign out', `${answered}
<button type="submit" form="op.logoutForm">Yes, sign me out</button>
<script>document.getElementById('op.logoutForm').submit();</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>Signed out</h1>');
      },
    },
    resourceIndicators: {
      enabled: true,
      // One requested API: its token even when the token request does not repeat `resource`.
      useGrantedResource: () => true,
      async getResourceServerInfo(ctx, indicator) {
        if (!Object.hasOwn(resources, indicator)) throw new errors.InvalidTarget();
        return {
          scope: resources[indicator],
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    userinfo: { enabled: true },
    revocation: { enabled: true },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>${escape(out.error)}</h1><p>${escape(out.error_description ?? '')}</p>`);
  },
  // No CORS: the service talks to the provider from its server, not from a page.
  clientBasedCORS: () => false,
  // HelseID's paths, so that nothing in a client can work only with oidc-provider's: a
  // client finds them all through discovery.
  routes: {
    authorization: '/connect/authorize',
    pushed_authorization_request: '/connect/par',
    token: '/connect/token',
    userinfo: '/connect/userinfo',
    end_session: '/connect/endsession',
    revocation: '/connect/revocation',
    jwks: '/.well-known/openid-configuration/jwks',
  },
});

provider.use(async (ctx, next) => {
  await next();
  ctx.set('Content-Security-Policy', CSP);
});

// Errors a test may need to read in the log: the OAuth error code, its description and the
// detail oidc-provider keeps from the client (e.g. why a grant is invalid); no token.
for (const event of [
  'authorization.error', 'pushed_authorization_request.error', 'grant.error',
  'end_session.error', 'userinfo.error', 'revocation.error', 'server_error',
]) {
  provider.on(event, (ctx, err) => {
    const detail = err.error_detail ? ` (${err.error_detail})` : '';
    console.error(`${event}: ${err.error ?? err.name}: ${err.error_description ?? err.message}${detail}`);
  });
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log('ready');
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
