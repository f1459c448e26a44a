// The simulator's local_moodlemcp connect flow against the protocol: connectinfo, connect.php parameter checks (an
// error page, never a redirect), redeem (single use; a replay or a wrong verifier deletes the token), revoke
// (idempotent), errors as JSON; the issued token works for REST until deleted.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMoodleConnect } from '../../runtime/moodle/connect.ts';
import { createMoodleClient } from '../../runtime/moodle/client.ts';
import { MoodleError } from '../../runtime/moodle/errors.ts';
import { createSimulator } from '../../runtime/simulator/index.ts';

const BASE = 'http://moodle.test';
const RETURN = 'http://127.0.0.1:3000/oauth/moodle/callback';
const SECRET = 'simulator-connect-secret-0123456789abcdef';

function setup() {
  const sim = createSimulator({ connectPlugin: { secret: SECRET, returnUrls: [RETURN] } });
  const fetch = (r: Request) => sim.fetch(r);
  return { sim, connect: createMoodleConnect({ url: BASE, secret: SECRET, fetch }), rest: createMoodleClient({ url: BASE, fetch }) };
}

/** Logs `username` in at connect.php and presses Connect: the one-time code from the redirect. */
async function issueCode(sim: ReturnType<typeof createSimulator>, url: string, username = 'emma.johansson'): Promise<string> {
  const login = await sim.fetch(new Request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=login&username=${username}&password=sim-password` }));
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];
  const confirm = await (await sim.fetch(new Request(url, { headers: { cookie } }))).text();
  const sesskey = /name="sesskey" value="([^"]+)"/.exec(confirm)![1];
  const back = await sim.fetch(new Request(url, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `sesskey=${sesskey}&action=connect` }));
  const location = new URL(back.headers.get('location')!);
  assert.equal(location.origin + location.pathname, RETURN);
  assert.equal(location.searchParams.get('state'), 'state-0123456789abcdef');
  return location.searchParams.get('code')!;
}

function flow(connect: ReturnType<typeof setup>['connect']) {
  const verifier = randomBytes(32).toString('base64url');
  const url = connect.connectUrl({ returnTo: RETURN, state: 'state-0123456789abcdef', codeChallenge: createHash('sha256').update(verifier).digest('base64url'), client: 'Claude', gateway: 'moodle-mcp', validUntil: 0 });
  return { verifier, url };
}

describe('simulator: local_moodlemcp connect flow', () => {
  it('connectinfo says whether the flow is enabled', async () => {
    const { sim, connect } = setup();
    assert.deepEqual(await connect.info(), { enabled: true, release: 'simulator' });
    sim.connect!.configure({ enabled: false });
    assert.equal((await connect.info()).enabled, false);
    const none = createMoodleConnect({ url: BASE, fetch: (r) => createSimulator().fetch(r) });
    await assert.rejects(none.info(), (e: MoodleError) => e.code === 'http_status' && /local_moodlemcp installed/.test(e.message));
  });

  it('connect.php refuses bad parameters with an error page, never a redirect', async () => {
    const { sim, connect } = setup();
    const { url } = flow(connect);
    for (const [name, value] of [['return_to', 'http://127.0.0.1:3000/oauth/moodle/callback/evil'], ['state', 'short'], ['code_challenge', 'x'], ['code_challenge_method', 'plain'], ['client', '']]) {
      const bad = new URL(url);
      bad.searchParams.set(name, value);
      const response = await sim.fetch(new Request(bad));
      assert.equal(response.status, 400, name);
      assert.equal(response.headers.get('location'), null);
    }
  });

  it('redeem: the token works for REST; a second redeem is invalid_grant and deletes the token', async () => {
    const { sim, connect, rest } = setup();
    const { verifier, url } = flow(connect);
    const code = await issueCode(sim, url);
    const redeemed = await connect.redeem({ code, verifier, redirectUri: RETURN });
    assert.equal(redeemed.service, 'mcp');
    assert.ok(redeemed.validuntil > Date.now() / 1000 && redeemed.validuntil <= Date.now() / 1000 + 90 * 86400 + 5, 'capped at connectmaxdays');
    assert.equal((await rest.getSiteInfo(redeemed.token)).username, 'emma.johansson');
    await assert.rejects(connect.redeem({ code, verifier, redirectUri: RETURN }), (e: MoodleError) => e.code === 'invalid_grant' && e.status === 400);
    await assert.rejects(rest.getSiteInfo(redeemed.token), (e: MoodleError) => e.code === 'invalidtoken');
  });

  it('redeem: wrong verifier or redirect_uri is invalid_grant (token deleted); wrong secret invalid_client; missing field named', async () => {
    const { sim, connect } = setup();
    const { verifier, url } = flow(connect);
    await assert.rejects(connect.redeem({ code: await issueCode(sim, url), verifier: randomBytes(32).toString('base64url'), redirectUri: RETURN }), { code: 'invalid_grant' });
    await assert.rejects(connect.redeem({ code: await issueCode(sim, url), verifier, redirectUri: `${RETURN}x` }), { code: 'invalid_grant' });
    assert.equal(sim.connect!.tokens().length, 0, 'both tokens deleted');
    const wrong = createMoodleConnect({ url: BASE, secret: 'x'.repeat(40), fetch: (r) => sim.fetch(r) });
    await assert.rejects(wrong.redeem({ code: await issueCode(sim, url), verifier, redirectUri: RETURN }), (e: MoodleError) => e.code === 'invalid_client' && e.status === 401);
    const missing = await sim.fetch(new Request(`${BASE}/local/moodlemcp/redeem.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `secret=${SECRET}&code=x` }));
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: 'invalid_request', error_description: 'Missing field: code_verifier' });
  });

  it('revoke deletes a plugin token once and never says more; the site admin and others are refused at connect.php', async () => {
    const { sim, connect, rest } = setup();
    const { verifier, url } = flow(connect);
    const { token } = await connect.redeem({ code: await issueCode(sim, url), verifier, redirectUri: RETURN });
    assert.equal(await connect.revoke(token), true);
    assert.equal(await connect.revoke(token), false);
    assert.equal(await connect.revoke('0'.repeat(32)), false);
    await assert.rejects(rest.getSiteInfo(token), { code: 'invalidtoken' });

    const login = await sim.fetch(new Request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=login&username=admin&password=sim-password' }));
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const refused = new URL((await sim.fetch(new Request(url, { headers: { cookie } }))).headers.get('location')!);
    assert.equal(refused.searchParams.get('error'), 'siteadmin');
    assert.equal(refused.searchParams.get('state'), 'state-0123456789abcdef');
  });
});
