// Each attack or mistake is refused with the right status, and nothing secret reaches a log line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import * as oauth from 'oauth4webapi';
import type { FileStore } from '../../runtime/auth/store/index.ts';
import { storageId } from '../../runtime/auth/oauth/adapter.ts';
import { authorize, Browser, discover, field, insecure, mcp, REDIRECT, startHarness, tokens, type Harness } from './oauth-harness.ts';

async function rejectsWith(promise: Promise<unknown>, error: string) {
  await assert.rejects(promise, (e: { error?: string; cause?: { error?: string } }) => (e.error ?? e.cause?.error) === error);
}

describe('OAuth negative suite', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('PKCE mismatch → invalid_grant', async () => {
    const s = await discover(h);
    const a = await authorize(h, s);
    const params = oauth.validateAuthResponse(s.as, s.client, new URL(a.response.headers.get('location')!), a.state);
    const r = await oauth.authorizationCodeGrantRequest(s.as, s.client, oauth.None(), params, REDIRECT, oauth.generateRandomCodeVerifier(), insecure);
    assert.equal(r.status, 400);
    await rejectsWith(oauth.processAuthorizationCodeResponse(s.as, s.client, r), 'invalid_grant');
  });

  it('authorization requests without PKCE or with method plain are refused', async () => {
    const s = await discover(h);
    for (const extra of [{}, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }] as Record<string, string>[]) {
      const url = new URL(s.as.authorization_endpoint!);
      url.search = new URLSearchParams({ client_id: s.client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'api.read', state: 'st', ...extra }).toString();
      const r = await fetch(url, { redirect: 'manual' });
      assert.equal(r.status, 303);
      const location = new URL(r.headers.get('location')!);
      assert.equal(location.origin + location.pathname, REDIRECT);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
    }
  });

  it('code reuse → invalid_grant, and the tokens of the first exchange are revoked', async () => {
    const s = await discover(h);
    const a = await authorize(h, s);
    const { params, result } = await tokens(h, s, a);
    assert.equal((await mcp(h, result.access_token)).status, 200);
    const again = await oauth.authorizationCodeGrantRequest(s.as, s.client, oauth.None(), params, REDIRECT, a.verifier, insecure);
    await rejectsWith(oauth.processAuthorizationCodeResponse(s.as, s.client, again), 'invalid_grant');
    assert.equal((await mcp(h, result.access_token)).status, 401);
  });

  it('redirect URI mismatch: no redirect to an unregistered URI; token request with another URI → invalid_grant', async () => {
    const s = await discover(h);
    const bad = await authorize(h, s, { redirectUri: 'http://127.0.0.1:9/callback/evil' });
    assert.equal(bad.response.status, 400);
    assert.match(bad.page, /redirect_uri/);
    const a = await authorize(h, s);
    const params = oauth.validateAuthResponse(s.as, s.client, new URL(a.response.headers.get('location')!), a.state);
    const r = await oauth.authorizationCodeGrantRequest(s.as, s.client, oauth.None(), params, 'http://127.0.0.1:9/other', a.verifier, insecure);
    await rejectsWith(oauth.processAuthorizationCodeResponse(s.as, s.client, r), 'invalid_grant');
  });

  it('registration refuses a plain-http redirect URI off loopback (invalid_redirect_uri, RFC 7591)', async () => {
    const as = await oauth.processDiscoveryResponse(new URL(h.base), await oauth.discoveryRequest(new URL(h.base), { algorithm: 'oauth2', ...insecure }));
    const r = await oauth.dynamicClientRegistrationRequest(as, { redirect_uris: ['http://evil.example/cb'], token_endpoint_auth_method: 'none' }, insecure);
    assert.equal(r.status, 400);
    const body = await r.json();
    assert.equal(body.error, 'invalid_redirect_uri');
    assert.match(body.error_description, /plain http is only allowed on loopback/);
  });

  it('wrong audience: another resource is refused at authorize, and a token is checked against the resource it is used at', async () => {
    const s = await discover(h);
    const a = await authorize(h, s, { resource: 'https://evil.example/mcp' });
    assert.equal(a.response.status, 303);
    assert.equal(new URL(a.response.headers.get('location')!).searchParams.get('error'), 'invalid_target');
    const ok = await authorize(h, s);
    const { result } = await tokens(h, s, ok);
    const request = new Request(`${h.base}/mcp`, { headers: { authorization: `Bearer ${result.access_token}` } });
    await assert.rejects(h.oauth.authenticate(request, 'https://other-gateway.example/mcp'), { code: 'invalid_token', message: /another resource/ });
    assert.equal((await h.oauth.authenticate(request)).moodleUser?.username, 'student1');
  });

  it('expired access token → 401', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s));
    assert.equal((await mcp(h, result.access_token)).status, 200);
    const at = await h.oauth.provider.AccessToken.find(result.access_token);
    const key = storageId('AccessToken', at!.jti);
    const stored = await h.store.oidcFind('AccessToken', key);
    assert.ok(stored && !JSON.stringify(stored).includes(result.access_token), 'stored under its hash, without the token');
    await h.store.oidcUpsert('AccessToken', key, { ...stored!, payload: { ...stored!.payload, exp: Math.floor(Date.now() / 1000) - 1 }, expiresAt: Date.now() - 1 });
    const r = await mcp(h, result.access_token);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate')!, /error="invalid_token"/);
  });

  it('revoked grant (connections revoke) → 401 for the access token and invalid_grant for the refresh token', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s));
    const id = (await (await mcp(h, result.access_token)).json()).id;
    await h.store.revokeConnection(id);
    assert.equal((await mcp(h, result.access_token)).status, 401);
    await rejectsWith(oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure)), 'invalid_grant');
  });

  it('refresh-token reuse → invalid_grant and the whole grant is revoked', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s));
    const id = (await (await mcp(h, result.access_token)).json()).id;
    const first = await oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure));
    assert.equal((await mcp(h, first.access_token)).status, 200);
    await rejectsWith(oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure)), 'invalid_grant');
    assert.equal((await mcp(h, first.access_token)).status, 401, 'tokens issued after the reused one are revoked too');
    await rejectsWith(oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), first.refresh_token!, insecure)), 'invalid_grant');
    const c = await h.store.getConnection(id);
    assert.ok(c?.revokedAt && c.moodleTokenEnc === null, 'the connection and its Moodle token are gone');
  });

  it('missing scope: a read-only grant calling for write → 403 insufficient_scope (step-up)', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s, { access: 'read' }));
    assert.equal(result.scope, 'api.read');
    assert.equal((await mcp(h, result.access_token)).status, 200);
    const r = await mcp(h, result.access_token, true);
    assert.equal(r.status, 403);
    assert.match(r.headers.get('www-authenticate')!, /^Bearer error="insufficient_scope", scope="api.read api.write", error_description="[^"]+", resource_metadata="/);
  });

  it('a read-only profile is never offered write', async () => {
    const ro = await startHarness({ profile: 'ro' });
    try {
      const s = await discover(ro);
      const a = await authorize(ro, s, { access: 'write' });
      assert.ok(!a.page.includes('value="write"'));
      assert.match(a.page, /your profile is read-only/);
      assert.equal((await tokens(ro, s, a)).result.scope, 'api.read');
    } finally {
      await ro.close();
    }
  });

  it('site-admin accounts are refused at sign-in (password or pasted token); no connection is created', async () => {
    const s = await discover(h);
    const before = (await h.store.listConnections({ includeRevoked: true })).length;
    const a = await authorize(h, s, { username: 'admin', password: 'Admin-pass-1!' });
    assert.equal(a.response.status, 401);
    assert.match(a.page, /This is a Moodle site administrator account\. Administrator accounts cannot connect through this gateway/, 'plain words for the person');
    assert.doesNotMatch(a.page, /oauth\.allow_site_admin|config/, 'no operator setting on the person\'s page');
    const b = await authorize(h, s, { pasteToken: h.moodle.tokenFor('admin') });
    assert.equal(b.response.status, 401);
    assert.equal((await h.store.listConnections({ includeRevoked: true })).length, before);
    // The operator's details are in the audit record, with a reason; no made-up Moodle errorcode.
    const refusals = h.audit.filter((r) => r.event === 'auth.signin.failed' && r.moodle_username === 'admin');
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].moodle_errorcode, undefined);
    assert.equal(refusals[0].decision, 'denied');
    assert.match(refusals[0].reasons![0], /site administrator.*oauth\.allow_site_admin in the config/);
  });

  it("Moodle's invalidlogin and a disabled service get clear messages", async () => {
    const s = await discover(h);
    const a = await authorize(h, s, { password: 'wrong' });
    assert.equal(a.response.status, 401);
    assert.match(a.page, /did not accept this username and password/);
    const failed = h.audit.filter((r) => r.event === 'auth.signin.failed').at(-1)!;
    assert.equal(failed.moodle_errorcode, 'invalidlogin');
    assert.deepEqual(failed.reasons, ['Moodle rejected the username or password']);
  });

  it("the gateway's own misconfiguration (moodle.service missing or disabled in Moodle) is answered as one: a 401 like every sign-in failure, the person is told it is not their account, the operator gets the reason", async () => {
    const errors: unknown[] = [];
    const other = await startHarness({ service: 'disabled_service', signInLimit: 1, log: { error: (...args: unknown[]) => void errors.push(args) } as never });
    try {
      const s = await discover(other);
      for (let i = 0; i < 2; i++) {
        const b = await authorize(other, s);
        assert.equal(b.response.status, 401, 'every sign-in failure is a 401');
        assert.match(b.page, /This gateway is not set up correctly: the Moodle web service it signs in to \(&quot;disabled_service&quot;\) does not exist or is disabled\. This is not a problem with your account/);
      }
      // Not counted as password guessing (limit 1: a second attempt would otherwise be 429).
      const records = other.audit.filter((r) => r.event === 'auth.signin.failed');
      assert.equal(records.length, 2);
      assert.equal(records[0].status, 401);
      assert.equal(records[0].decision, 'error', 'the gateway must be fixed, not the person');
      assert.equal(records[0].moodle_errorcode, 'servicenotavailable');
      assert.match(records[0].reasons![0], /moodle\.service "disabled_service" does not exist or is disabled in Moodle/);
      assert.equal(errors.length, 2, 'logged for the operators');
    } finally {
      await other.close();
    }
  });

  it('password guessing: past the limit of failed sign-ins, 429 without asking Moodle', async () => {
    const t = await startHarness({ signInLimit: 3 });
    try {
      const s = await discover(t);
      for (let i = 0; i < 3; i++) assert.equal((await authorize(t, s, { password: `guess-${i}` })).response.status, 401);
      const calls = t.moodle.calls.length;
      const blocked = await authorize(t, s);
      assert.equal(blocked.response.status, 429);
      assert.match(blocked.page, /Too many failed sign-ins/);
      assert.equal(t.moodle.calls.length, calls, 'Moodle was not asked');
    } finally {
      await t.close();
    }
  });

  it('pages: strict CSP, no framing, CSRF enforced', async () => {
    const s = await discover(h);
    const url = new URL(s.as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: s.client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'api.read', code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256', state: 's' }).toString();
    const browser = new Browser();
    const page = await browser.follow(url.toString(), h.base);
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const html = await page.text();
    assert.doesNotMatch(html, /<script|https?:\/\/(?!127\.0\.0\.1)/, 'no script and no external asset');
    const action = /action="([^"]*\/login)"/.exec(html)![1];
    const forged = await browser.form(new URL(action, h.base).toString(), { csrf: 'x'.repeat(43), username: 'student1', password: 'Student-pass-1!' });
    assert.equal(forged.status, 403);
    const noCookie = new Browser();
    noCookie.cookies = new Map([...browser.cookies].filter(([k]) => !k.includes('csrf')));
    assert.equal((await noCookie.form(new URL(action, h.base).toString(), { csrf: field(html, 'csrf'), username: 'student1', password: 'Student-pass-1!' })).status, 403);
  });

  it('the "My connections" page lists and revokes only the person\'s own connections', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s, { username: 'teacher1', password: 'Teacher-pass-1!' }));
    const mine = (await (await mcp(h, result.access_token)).json()).id;
    const student = (await tokens(h, s, await authorize(h, s))).result;
    const theirs = (await (await mcp(h, student.access_token)).json()).id;
    assert.ok(theirs && theirs !== mine);
    const b = new Browser();
    const page = await (await b.fetch(`${h.base}/connections`)).text();
    const csrf = field(page, 'csrf');
    assert.equal((await b.form(`${h.base}/connections/login`, { csrf, username: 'teacher1', password: 'Teacher-pass-1!' })).status, 303);
    const list = await (await b.fetch(`${h.base}/connections`)).text();
    assert.ok(list.includes(mine));
    assert.ok(!list.includes(theirs));
    assert.equal((await b.form(`${h.base}/connections/revoke`, { csrf, id: theirs })).status, 404, 'cannot revoke another person\'s connection');
    assert.equal((await mcp(h, student.access_token)).status, 200, 'the other person\'s connection still works');
    assert.equal((await b.form(`${h.base}/connections/revoke`, { csrf, id: mine })).status, 303);
    assert.equal((await mcp(h, result.access_token)).status, 401);
  });
});

describe('no password or token in any log line', () => {
  it('captures stdout/stderr and audit records during a full flow with planted secrets', async () => {
    const lines: string[] = [];
    const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = (orig: typeof originals.out) => ((chunk: unknown, ...rest: unknown[]) => (lines.push(String(chunk)), orig(chunk as string, ...(rest as [])))) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    const h = await startHarness();
    try {
      const s = await discover(h);
      const a = await authorize(h, s);
      const { result } = await tokens(h, s, a);
      await mcp(h, result.access_token);
      await authorize(h, s, { password: 'Wrong-planted-password-42' });
      const refreshed = await oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure));
      await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure); // reuse
      const secrets = ['Student-pass-1!', 'Wrong-planted-password-42', result.access_token, result.refresh_token!, refreshed.access_token, ...h.moodle.tokens.keys()];
      const text = lines.join('') + JSON.stringify(h.audit);
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 4)}…) appeared in a log line or audit record`);
      assert.ok(h.audit.length >= 3, 'audit records were written');
      const stored = readFileSync((h.store as FileStore).path, 'utf8');
      for (const secret of secrets) assert.ok(!stored.includes(secret), `a secret (${secret.slice(0, 4)}…) is stored in clear`);
    } finally {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      await h.close();
    }
  });
});
