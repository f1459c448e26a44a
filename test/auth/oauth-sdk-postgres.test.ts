// The MCP SDK's client-side auth (discovery, registration, PKCE, token exchange) against the gateway's OAuth on the
// PostgreSQL store, signing in through the Moodle SIMULATOR's login/token.php (a test double of Moodle).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { PostgresStore } from '../../runtime/auth/store/index.ts';
import { createMoodleClient } from '../../runtime/moodle/client.ts';
import { createSimulator, simulatorRoles } from '../../runtime/simulator/index.ts';
import { mcp, sdkProvider, sdkSignIn, sdkSignInPage, startHarness, type Harness } from './oauth-harness.ts';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';

describe('MCP SDK client auth, PostgreSQL store, simulator login/token.php', () => {
  let cluster: PgCluster;
  let h: Harness;
  const simulator = createSimulator();
  const moodle = createMoodleClient({ url: 'http://moodle.simulator.invalid', fetch: simulator.fetch, service: simulator.service });

  before(async () => {
    cluster = await startPgCluster();
    h = await startHarness({ moodle: { tokenLogin: (u, p, s) => moodle.tokenLogin(u, p, s), getSiteInfo: (t) => moodle.getSiteInfo(t) }, service: simulator.service }, new PostgresStore(cluster.createDatabase('oauth')));
  });
  after(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('signs in as the simulator student and calls /mcp with the issued token; refresh works through the SDK', async () => {
    const sdk = sdkProvider();
    const { provider, state } = sdk;
    const r = await sdkSignIn(h.base, sdk, { username: simulatorRoles.student.username, password: simulator.password, access: 'read' });
    assert.equal(r.started, 'REDIRECT');
    assert.equal(state.url?.searchParams.get('resource'), `${h.base}/mcp`);
    assert.equal(state.url?.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(r.signIn?.status, 200, r.signIn?.html);
    assert.equal(r.finished, 'AUTHORIZED');
    const body = await (await mcp(h, state.tokens!.access_token)).json();
    assert.equal(body.user, simulatorRoles.student.username);
    assert.deepEqual(body.scopes, ['api.read']);
    const conn = await h.oauth.authenticateToken(state.tokens!.access_token);
    assert.equal(conn?.moodleToken, simulatorRoles.student.token, 'the Moodle token is the one login/token.php issued');

    const old = state.tokens!;
    assert.equal(await auth(provider, { serverUrl: `${h.base}/mcp` }), 'AUTHORIZED', 'the SDK refreshes');
    assert.notEqual(state.tokens!.refresh_token, old.refresh_token);
    assert.equal((await mcp(h, state.tokens!.access_token)).status, 200);
  });

  it("the simulator's site admin is refused; a wrong password gets Moodle's invalidlogin message", async () => {
    const { browser, csrf, loginUrl: login } = await sdkSignInPage(h.base, sdkProvider());
    assert.ok(browser, 'sent to the sign-in page');
    const admin = await browser.form(login, { csrf, username: simulatorRoles.admin.username, password: simulator.password });
    assert.equal(admin.status, 401);
    assert.match(await admin.text(), /site administrator/);
    const wrong = await browser.form(login, { csrf, username: simulatorRoles.student.username, password: 'nope' });
    assert.match(await wrong.text(), /did not accept this username and password/);
  });
});
