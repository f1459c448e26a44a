#!/usr/bin/env node
// A small OpenID Connect identity provider for the dev Moodle (scripts/real-moodle/README.md): Moodle's OAuth 2
// authentication (auth_oauth2) signs people in through it, so that the connect flow of local_moodlemcp can be tried
// with an account that has no password login/token.php accepts. Built on oidc-provider. Dev only: in-memory
// storage, loopback, https with a dev CA (Moodle accepts https issuers only).
//
// Usage: node scripts/real-moodle/oidc-idp.mjs [--config /opt/moodle-out/idp.json]
// The config file (written by setup-connect.sh, never in the repo):
//   {"issuer": "https://127.0.0.1:4000", "port": 4000, "tls": {"key", "cert"}, "client": {"client_id", "client_secret", "redirect_uris": [...]},
//    "users": {"<login>": {"password", "email", "given_name", "family_name"}}}
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values } = parseArgs({ options: { config: { type: 'string', default: '/opt/moodle-out/idp.json' } } });
const config = JSON.parse(readFileSync(values.config, 'utf8'));
const users = config.users;

const provider = new Provider(config.issuer, {
  clients: [{ ...config.client, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = users[sub];
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, email: user.email, email_verified: true, given_name: user.given_name,
        family_name: user.family_name, name: `${user.given_name} ${user.family_name}` }),
    };
  },
});
provider.proxy = false;

const digest = (s) => createHash('sha256').update(String(s)).digest();
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><title>Northbridge SSO (dev)</title></head><body><h1>Northbridge SSO (dev IdP)</h1>${body}</body></html>`);
}

function loginForm(uid, message = '') {
  return `${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Username <input name="login" autocomplete="username" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name === 'consent') {
    // Moodle is a first-party client of this IdP: consent is implied.
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (action !== 'login' || req.method !== 'POST') {
    page(res, 200, loginForm(uid));
    return;
  }
  const form = await readForm(req);
  const user = users[form.get('login') ?? ''];
  if (!user || !timingSafeEqual(digest(user.password), digest(form.get('password') ?? ''))) {
    console.log(`idp: failed sign-in for ${JSON.stringify(form.get('login') ?? '')}`);
    page(res, 401, loginForm(uid, 'Wrong username or password.'));
    return;
  }
  console.log(`idp: ${form.get('login')} signed in`);
  await provider.interactionFinished(req, res, { login: { accountId: form.get('login') } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const tls = { key: readFileSync(config.tls.key), cert: readFileSync(config.tls.cert) };
const server = createServer(tls, async (req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/.exec(new URL(req.url, config.issuer).pathname);
  if (!match) return callback(req, res);
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    console.error(`idp: interaction failed: ${error.message}`);
    if (!res.headersSent) page(res, 400, `<p>${escape(error.message)}</p>`);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`idp: ${config.issuer} listening on 127.0.0.1:${config.port}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
