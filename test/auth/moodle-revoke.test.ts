// Revocation that reaches Moodle: a connection whose token local_moodlemcp issued is revoked from the "My connections"
// page, the CLI, the administration console and RFC 7009 (grant revocation): its token is deleted in Moodle (the
// simulator's revoke.php), audited; a failure is surfaced, audited and retried. The other way: a token deleted in
// Moodle revokes its connection at its next use, and the client gets 401 invalid_token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sdkProvider } from './oauth-harness.ts';
import { Sink } from './helpers.ts';
import { pendingMoodleRevocations, retryMoodleRevocations } from '../../runtime/auth/revoke.ts';
import { runConnectionsCommand } from '../../runtime/cli/connections.ts';
import { connectThroughMoodle, formActionOf, GATEWAY, inputValue, mcpClient, MOODLE, moodleLink, SsoBrowser, ssoSetup, atMoodle, type SsoSetup } from '../helpers/sso.ts';

const OPERATOR_KEY = 'operator-key-for-sso-tests-0123456789';

describe('revoking a plugin-issued connection deletes its token in Moodle', () => {
  let s: SsoSetup;
  before(async () => {
    s = await ssoSetup({ config: { admin: { operator_key_sha256: createHash('sha256').update(OPERATOR_KEY).digest('hex') } } });
  });
  after(() => s.close());
  const live = (token: string) => s.sim.connect!.tokens().some((t) => t.token === token);
  const moodleAudit = async (id: string) => (await s.gw.audited()).filter((r) => r.event === 'auth.moodle_token.revoked' && r.connection_id === id);

  it('from the "My connections" page (itself signed in through Moodle, keeping no token)', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('Page client'), 'emma.johansson');
    assert.ok(live(c.moodleToken));
    const before = s.sim.connect!.tokens().length;

    const browser = new SsoBrowser(s.fetch);
    const signIn = await browser.follow(`${GATEWAY}/connections`);
    const link = moodleLink(await signIn.response.text());
    assert.equal(link, '/connections/moodle');
    const login = await browser.follow(`${GATEWAY}${link}`);
    const { end, endHtml } = await atMoodle(browser, login, 'emma.johansson');
    assert.equal(end.url, `${GATEWAY}/connections`);
    assert.match(endHtml, /Page client/);
    assert.match(endHtml, /have a Moodle token of their own/);
    assert.equal(s.sim.connect!.tokens().length, before, 'the sign-in token of the connections page was deleted in Moodle at once');

    assert.equal(inputValue(endHtml, 'id'), c.record.id);
    const revoked = await browser.post(`${GATEWAY}/connections/revoke`, { csrf: inputValue(endHtml, 'csrf'), id: c.record.id });
    assert.equal(revoked.url, `${GATEWAY}/connections`);
    assert.equal(live(c.moodleToken), false, 'the token is gone in Moodle');
    assert.ok((await s.gw.gateway.auth!.store.getConnection(c.record.id))?.revokedAt);
    const [rec] = await moodleAudit(c.record.id);
    assert.equal(rec?.decision, 'allowed');
    assert.equal(rec?.detail, 'connections page');
  });

  it('a revoke.php failure is shown, audited as an error, and retried (here: by hand, as at the next start)', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('Flaky client'), 'liam.oconnor');
    const revoke = s.gw.gateway.auth!.revoke;
    // The person revokes it on "My connections" (signed in there with the password form) while revoke.php fails.
    const browser = new SsoBrowser(s.fetch);
    await browser.follow(`${GATEWAY}/connections`);
    const csrf = browser.cookie(GATEWAY, 'mmcp-csrf')!;
    await browser.post(`${GATEWAY}/connections/login`, { csrf, username: 'liam.oconnor', password: 'sim-password' });
    // The next request to Moodle is revoke.php (the page's sign-in is a cookie; whether to offer Moodle sign-in is cached).
    s.sim.injectFault({ fault: { kind: 'status', status: 500, body: '<html>oops</html>' }, times: 1 });
    const page = await browser.post(`${GATEWAY}/connections/revoke`, { csrf, id: c.record.id });
    assert.equal(page.url, `${GATEWAY}/connections?moodle=failed`);
    assert.match(await page.response.text(), /could not be reached to delete its token/);
    assert.ok(live(c.moodleToken), 'still valid in Moodle');
    assert.ok((await revoke.store.getConnection(c.record.id))?.revokedAt, 'but revoked in the gateway');
    const [failed] = await moodleAudit(c.record.id);
    assert.equal(failed.decision, 'error');
    assert.match(failed.reasons?.[0] ?? '', /retried at the next start/);
    assert.deepEqual(await pendingMoodleRevocations(revoke.store), [c.record.id]);

    assert.equal(await retryMoodleRevocations(revoke), 0);
    assert.equal(live(c.moodleToken), false);
    assert.deepEqual(await pendingMoodleRevocations(revoke.store), []);
    assert.equal((await moodleAudit(c.record.id)).at(-1)?.detail, 'retry at start');
    assert.ok(!JSON.stringify(await s.gw.audited()).includes(c.moodleToken), 'never the token');
  });

  it('from the CLI (connections revoke)', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('CLI client'), 'emma.johansson');
    const stdout = new Sink();
    const stderr = new Sink();
    const audited: { event: string }[] = [];
    const code = await runConnectionsCommand(['revoke', c.record.id], {
      stdout, stderr, config: s.gw.gateway.config, store: s.gw.gateway.auth!.store, keyring: s.gw.gateway.auth!.keyring,
      moodleFetch: (request) => s.sim.fetch(request), env: {}, audit: { record: (r) => void audited.push(r) },
    });
    assert.equal(code, 0, stderr.text);
    assert.match(stdout.text, /deleted in Moodle/);
    assert.equal(live(c.moodleToken), false);
    assert.deepEqual(audited.map((r) => r.event), ['auth.token.revoked', 'auth.moodle_token.revoked']);
  });

  it('from the administration console', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('Console client'), 'emma.johansson');
    const browser = new SsoBrowser(s.fetch);
    await browser.follow(`${GATEWAY}/admin/login`);
    const csrf = browser.cookie(GATEWAY, 'mmcp-csrf')!;
    assert.equal((await browser.post(`${GATEWAY}/admin/operator`, { csrf, key: OPERATOR_KEY })).response.status, 200);
    const done = await browser.post(`${GATEWAY}/admin/revoke`, { csrf, id: c.record.id });
    assert.equal(done.response.status, 200);
    assert.equal(live(c.moodleToken), false);
    assert.match((await moodleAudit(c.record.id))[0]?.detail ?? '', /admin console/);
  });

  it('RFC 7009: revoking the refresh token ends the grant, and the Moodle token with it', async () => {
    const sdk = sdkProvider('Revoking client');
    const c = await connectThroughMoodle(s, sdk, 'liam.oconnor');
    const response = await s.fetch(`${GATEWAY}/oauth/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: c.refreshToken!, token_type_hint: 'refresh_token', client_id: sdk.state.info!.client_id }).toString(),
    });
    assert.equal(response.status, 200);
    assert.equal(live(c.moodleToken), false);
    assert.equal((await moodleAudit(c.record.id))[0]?.detail, 'grant revoked');
  });

  it('consent denied: the token issued for it is deleted in Moodle again', async () => {
    const before = s.sim.connect!.tokens().length;
    const sdk = sdkProvider('Denied client');
    const { throughMoodle } = await import('../helpers/sso.ts');
    const { browser, html } = await throughMoodle(s, sdk, 'emma.johansson');
    assert.equal(s.sim.connect!.tokens().length, before + 1);
    const denied = await browser.post(new URL(formActionOf(html), GATEWAY).toString(), { csrf: inputValue(html, 'csrf'), decision: 'deny' });
    assert.match(denied.url, /error=access_denied/);
    assert.equal(s.sim.connect!.tokens().length, before);
  });
});

describe('a token deleted in Moodle revokes its connection', () => {
  let s: SsoSetup;
  before(async () => {
    s = await ssoSetup();
  });
  after(() => s.close());

  it('at its first use: 401 invalid_token naming the reason, the connection revoked and audited', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('Deleted first'), 'emma.johansson');
    assert.ok(s.sim.connect!.deleteToken(c.moodleToken), 'deleted in Moodle (Security keys)');
    await assert.rejects(mcpClient(s, c.accessToken), /its Moodle token was deleted in Moodle/);
    const response = await s.fetch(`${GATEWAY}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${c.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.ok((await s.gw.gateway.auth!.store.getConnection(c.record.id))?.revokedAt);
    const audit = await s.gw.audited();
    assert.ok(audit.some((r) => r.event === 'auth.token.revoked' && r.connection_id === c.record.id && /invalidtoken/.test(r.detail ?? '')));
    assert.ok(audit.some((r) => r.event === 'auth.token.rejected' && /deleted in Moodle/.test(r.reasons?.[0] ?? '')));
  });

  it('while in use: the call that meets invalidtoken fails, and the next request is 401', async () => {
    const c = await connectThroughMoodle(s, sdkProvider('Deleted later'), 'liam.oconnor');
    const client = await mcpClient(s, c.accessToken);
    const ok = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((ok.structuredContent as { username: string }).username, 'liam.oconnor');
    s.sim.connect!.deleteToken(c.moodleToken);
    const failed = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} }).catch((e: Error) => e);
    assert.ok(failed instanceof Error || (failed as { isError?: boolean }).isError, 'the call reports the failure');
    assert.ok((await s.gw.gateway.auth!.store.getConnection(c.record.id))?.revokedAt, 'the connection is revoked');
    const next = await s.fetch(`${GATEWAY}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${c.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(next.status, 401);
    await client.close().catch(() => undefined);
  });
});

void MOODLE;
