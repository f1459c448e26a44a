// "Sign in with Moodle" through the gateway (app.request) and the simulator's local_moodlemcp connect flow: the whole
// flow (start → Moodle's login and confirm → callback → consent → MCP call with the connection's own token), state
// misuse and replay, the plugin's error codes as translated messages, the password fallback switched off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkProvider } from './oauth-harness.ts';
import { atMoodle, CALLBACK, consent, formActionOf, GATEWAY, MOODLE, inputValue, mcpClient, moodleLink, signInPage, SsoBrowser, ssoSetup, throughMoodle, type SsoSetup } from '../helpers/sso.ts';

describe('Sign in with Moodle (simulator plugin)', () => {
  let s: SsoSetup;
  before(async () => {
    s = await ssoSetup();
  });
  after(() => s.close());

  it('start → Moodle login and confirm → callback → consent → an MCP call with the connection\'s own token', async () => {
    const sdk = sdkProvider('SSO assistant');
    const { browser, end, html } = await throughMoodle(s, sdk, 'emma.johansson');
    assert.equal(end.response.status, 200, html.slice(0, 400));
    assert.ok(end.url.endsWith('/signed-in'), end.url);
    assert.match(html, /SSO assistant/, 'the consent page names the client');
    assert.equal(browser.cookie(GATEWAY, 'mmcp-moodle'), undefined, 'the state cookie is cleared');
    await consent(s, sdk, browser, html);

    const client = await mcpClient(s, sdk.state.tokens!.access_token);
    const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((info.structuredContent as { username: string }).username, 'emma.johansson');
    await client.close();

    const issued = s.sim.connect!.tokens().filter((t) => t.username === 'emma.johansson');
    assert.equal(issued.length, 1, 'Moodle issued one new token for this connection');
    assert.ok(issued[0].validuntil > Date.now() / 1000, 'with an expiry');
    const [record] = await storeOf(s).listConnections({ kind: 'oauth' });
    assert.equal(record.moodleTokenSource, 'plugin');
    assert.equal(record.moodleUser?.username, 'emma.johansson');

    const audit = await s.gw.audited();
    const ok = audit.find((r) => r.event === 'auth.signin.ok' && r.detail === 'moodle');
    assert.equal(ok?.moodle_username, 'emma.johansson');
    assert.equal(ok?.client_name, 'SSO assistant');
    assert.ok(audit.some((r) => r.event === 'auth.token.issued' && r.connection_id === record.id));
    const text = JSON.stringify(audit);
    assert.ok(!text.includes(issued[0].token), 'the Moodle token is never audited');
  });

  it('a second person gets another token: one per connection', async () => {
    const sdk = sdkProvider('Second client');
    const { browser, end, html } = await throughMoodle(s, sdk, 'liam.oconnor');
    assert.equal(end.response.status, 200);
    await consent(s, sdk, browser, html);
    const tokens = s.sim.connect!.tokens().map((t) => t.token);
    assert.equal(new Set(tokens).size, tokens.length);
    assert.ok(s.sim.connect!.tokens().some((t) => t.username === 'liam.oconnor'));
  });

  it('replaying the callback, or bringing it to another browser, is refused and audited', async () => {
    const sdk = sdkProvider('Replay');
    const { browser, html } = await signInPage(s, sdk);
    const login = await browser.follow(new URL(moodleLink(html)!, GATEWAY).toString());
    const loginHtml = await login.response.text();
    const confirm = await browser.post(new URL(formActionOf(loginHtml), login.url).toString(), { action: 'login', username: 'emma.johansson', password: 'sim-password' });
    const confirmHtml = await confirm.response.text();
    // Press Connect without following: the callback URL with the code and state.
    const back = await browser.fetch(new URL(formActionOf(confirmHtml), confirm.url).toString(), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sesskey: inputValue(confirmHtml, 'sesskey'), action: 'connect' }).toString(),
    });
    const callback = back.headers.get('location')!;
    assert.ok(callback.startsWith(`${CALLBACK}?code=`), callback);

    // Another browser (no state cookie): refused before the code is redeemed; the state is spent.
    const other = new SsoBrowser(s.fetch);
    const stolen = await other.fetch(callback);
    assert.equal(stolen.status, 400);
    assert.match(await stolen.text(), /expired, was already used, or was started in another browser/);
    // The right browser now: the state was single use.
    const replay = await browser.fetch(callback);
    assert.equal(replay.status, 400);
    const failed = (await s.gw.audited()).filter((r) => r.event === 'auth.signin.failed' && r.detail?.startsWith('moodle'));
    assert.ok(failed.some((r) => /state does not belong to this browser/.test(r.reasons?.[0] ?? '')), JSON.stringify(failed));
    assert.ok(failed.some((r) => /unknown, expired or already used state/.test(r.reasons?.[0] ?? '')));
    // The state in a garbled form, or none at all: the same answer.
    assert.equal((await browser.fetch(`${CALLBACK}?state=x&code=y`)).status, 400);
    assert.equal((await browser.fetch(CALLBACK)).status, 400);
  });

  it('the plugin\'s error codes are told in the person\'s language: cancel, site administrator, no permission', async () => {
    const cancelled = await throughMoodle(s, sdkProvider('Cancel'), 'emma.johansson', { button: 'cancel', lang: 'fr' });
    assert.equal(cancelled.end.response.status, 401);
    assert.match(cancelled.html, /Vous avez annulé la connexion/);
    assert.match(cancelled.html, /href="\/interaction\/[^"]+"/, 'a way back to the sign-in page');

    const admin = await throughMoodle(s, sdkProvider('Admin'), 'admin');
    assert.equal(admin.end.response.status, 401);
    assert.match(admin.html, /site administrator account/);

    s.sim.connect!.configure({ denied: ['liam.oconnor'] });
    try {
      const denied = await throughMoodle(s, sdkProvider('Denied'), 'liam.oconnor', { lang: 'de' });
      assert.match(denied.html, /darf keine Anwendungen über dieses Gateway verbinden/);
    } finally {
      s.sim.connect!.configure({ denied: [] });
    }
    const codes = (await s.gw.audited()).filter((r) => r.event === 'auth.signin.failed' && r.detail === 'moodle').map((r) => r.moodle_errorcode);
    for (const code of ['access_denied', 'siteadmin', 'nopermission']) assert.ok(codes.includes(code), `${code} audited (${codes})`);
  });

  it('an unknown error code from Moodle is a generic message, audited as "other"; a callback with neither code nor error is refused', async () => {
    const { browser, html } = await signInPage(s, sdkProvider('Odd'));
    const start = await browser.fetch(new URL(moodleLink(html)!, GATEWAY).toString());
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const odd = await browser.fetch(`${CALLBACK}?state=${state}&error=%3Cscript%3E`);
    assert.equal(odd.status, 401);
    assert.match(await odd.text(), /could not complete the connection/);
    assert.equal((await s.gw.audited()).filter((r) => r.event === 'auth.signin.failed').at(-1)?.moodle_errorcode, 'other');
    const again = await browser.fetch(new URL(moodleLink(html)!, GATEWAY).toString());
    const state2 = new URL(again.headers.get('location')!).searchParams.get('state')!;
    assert.equal((await browser.fetch(`${CALLBACK}?state=${state2}`)).status, 400);
  });

  it('a code the plugin refuses at redeem (wrong secret) is a clear page and an audited error', async () => {
    const bad = await ssoSetup({ env: { MOODLE_MCP_CONNECT_SECRET: 'another-secret-that-is-long-enough-0123456789' } });
    try {
      const r = await throughMoodle(bad, sdkProvider('Wrong secret'), 'emma.johansson');
      assert.equal(r.end.response.status, 401);
      assert.match(r.html, /did not accept the gateway&#39;s request|did not accept the gateway's request/);
      const rec = (await bad.gw.audited()).find((x) => x.event === 'auth.signin.failed' && x.moodle_errorcode === 'invalid_client');
      assert.equal(rec?.decision, 'error', 'the gateway\'s setup, not the person');
      assert.ok(!JSON.stringify(await bad.gw.audited()).includes('another-secret'), 'the secret is never audited');
    } finally {
      await bad.close();
    }
  });
});

describe('a sign-in replaced before consent', () => {
  it('signing in through Moodle twice on one sign-in page deletes the first token in Moodle (no token is left behind)', async () => {
    const s = await ssoSetup();
    try {
      const live = () => s.sim.connect!.tokens().filter((t) => t.username === 'emma.johansson').length;
      const first = await throughMoodle(s, sdkProvider('Twice'), 'emma.johansson');
      assert.equal(first.end.response.status, 200);
      assert.equal(live(), 1);
      // Back on the same sign-in page (the consent page is /interaction/<uid>/signed-in), through Moodle again.
      const page = await first.browser.follow(first.end.url.replace(/\/signed-in$/, ''));
      const login = await first.browser.follow(new URL(moodleLink(await page.response.text())!, GATEWAY).toString());
      const again = await atMoodle(first.browser, login, 'emma.johansson');
      assert.equal(again.end.response.status, 200);
      assert.equal(live(), 1, 'the first sign-in\'s token was deleted in Moodle when the second replaced it');
      const rec = (await s.gw.audited()).filter((r) => r.event === 'auth.moodle_token.revoked').at(-1);
      assert.equal(rec?.detail, 'sign-in replaced before consent');
    } finally {
      await s.close();
    }
  });
});

describe('a token for another service', () => {
  it('is refused, deleted in Moodle again, and audited as the setup\'s fault when the plugin\'s connectservice is not moodle.service', async () => {
    const s = await ssoSetup({ config: { moodle: { url: MOODLE, service: 'another_service' } } });
    try {
      const r = await throughMoodle(s, sdkProvider('Service'), 'emma.johansson');
      assert.equal(r.end.response.status, 401);
      assert.match(r.html, /not set up on the Moodle side/);
      assert.equal(s.sim.connect!.tokens().filter((t) => t.username === 'emma.johansson').length, 0, 'the token was deleted in Moodle');
      const rec = (await s.gw.audited()).filter((x) => x.event === 'auth.signin.failed').at(-1);
      assert.equal(rec?.decision, 'error');
      assert.match(rec?.reasons?.[0] ?? '', /token for the service "mcp", not moodle\.service "another_service"/);
      assert.equal((await s.gw.gateway.auth!.store.listConnections({ kind: 'oauth' })).length, 0);
    } finally {
      await s.close();
    }
  });
});

describe('the connections page signed in through Moodle', () => {
  it('sets its session cookie SameSite=Lax: the redirect that follows the callback belongs to a navigation Moodle started', async () => {
    // A browser sends no SameSite=Strict cookie on a navigation another site initiated, redirects included: with Moodle
    // on another site than the gateway, a Strict session cookie set by the callback would be missing on /connections,
    // and the person would land on the sign-in page again.
    const s = await ssoSetup();
    try {
      const browser = new SsoBrowser(s.fetch);
      const login = await browser.follow(`${GATEWAY}/connections/moodle`);
      const loginHtml = await login.response.text();
      const confirm = await browser.post(new URL(formActionOf(loginHtml), login.url).toString(), { action: 'login', username: 'emma.johansson', password: 'sim-password' });
      const confirmHtml = await confirm.response.text();
      const back = await browser.fetch(new URL(formActionOf(confirmHtml), confirm.url).toString(), {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sesskey: inputValue(confirmHtml, 'sesskey'), action: 'connect' }).toString(),
      });
      const callback = await browser.fetch(back.headers.get('location')!);
      assert.equal(callback.headers.get('location'), '/connections');
      const session = callback.headers.getSetCookie().find((c) => c.startsWith('mmcp-manage='));
      assert.ok(session, 'the session cookie is set');
      assert.match(session!, /; SameSite=Lax/);
      assert.match(session!, /; HttpOnly/);
    } finally {
      await s.close();
    }
  });
});

describe('which sign-in the page offers', () => {
  it('password_signin: false hides the password form and the token paste and refuses them', async () => {
    const s = await ssoSetup({ config: { oauth: { password_signin: false } } });
    try {
      const { browser, html } = await signInPage(s, sdkProvider('No password'));
      assert.ok(moodleLink(html));
      assert.ok(!html.includes('name="password"') && !html.includes('name="token"'));
      const uid = /\/interaction\/([^/"]+)\/moodle/.exec(html)![1];
      const csrf = browser.cookie(GATEWAY, 'mmcp-csrf')!;
      const refused = await browser.post(`${GATEWAY}/interaction/${uid}/login`, { csrf, username: 'emma.johansson', password: 'sim-password' });
      assert.equal(refused.response.status, 403);
      assert.match(await refused.response.text(), /switched off on this gateway/);
      assert.ok((await s.gw.audited()).some((r) => r.event === 'auth.signin.failed' && /password_signin/.test(r.reasons?.[0] ?? '')));
      // The connections page too.
      const page = await new SsoBrowser(s.fetch).follow(`${GATEWAY}/connections`);
      const connectionsHtml = await page.response.text();
      assert.ok(connectionsHtml.includes('/connections/moodle') && !connectionsHtml.includes('name="password"'));
    } finally {
      await s.close();
    }
  });

  it('auto offers Moodle sign-in only while connectinfo.php says the flow is enabled; off never', async () => {
    const disabled = await ssoSetup({ plugin: { enabled: false } });
    try {
      const { html } = await signInPage(disabled, sdkProvider('Auto'));
      assert.equal(moodleLink(html), undefined);
      assert.ok(html.includes('name="password"'), 'the password form stays');
    } finally {
      await disabled.close();
    }
    const off = await ssoSetup({ config: { oauth: { moodle_signin: 'off' } } });
    try {
      const { browser, html } = await signInPage(off, sdkProvider('Off'));
      assert.equal(moodleLink(html), undefined);
      const uid = /\/interaction\/([^/"]+)\/login/.exec(html)![1];
      assert.equal((await browser.fetch(`${GATEWAY}/interaction/${uid}/moodle`)).status, 404);
    } finally {
      await off.close();
    }
  });

  it('on without a secret stops the gateway at start, naming the setting', async () => {
    await assert.rejects(ssoSetup({ config: { oauth: { moodle_signin: 'on' } }, env: { MOODLE_MCP_CONNECT_SECRET: '' } }), /MOODLE_MCP_CONNECT_SECRET \(oauth\.moodle_connect_secret_env\)/);
  });

  it('on: the flow switched off in Moodle after the page was shown answers "unavailable", told as the setup\'s fault', async () => {
    const s = await ssoSetup({ config: { oauth: { moodle_signin: 'on' } } });
    try {
      s.sim.connect!.configure({ enabled: false });
      const r = await throughMoodle(s, sdkProvider('Unavailable'), 'emma.johansson');
      assert.match(r.html, /not set up on the Moodle side/);
      const rec = (await s.gw.audited()).find((x) => x.event === 'auth.signin.failed' && x.moodle_errorcode === 'unavailable');
      assert.equal(rec?.decision, 'error');
    } finally {
      await s.close();
    }
  });
});

const storeOf = (s: SsoSetup) => s.gw.gateway.auth!.store;
