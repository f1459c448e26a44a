// The "My connections" page: revocation is audited once, when it revokes something.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, Browser, discover, field, mcp, startHarness, tokens, type Harness } from './oauth-harness.ts';

describe('"My connections" page', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('revoking an already revoked connection is not audited again', async () => {
    const s = await discover(h);
    const { result } = await tokens(h, s, await authorize(h, s));
    const id = (await (await mcp(h, result.access_token)).json()).id;
    const b = new Browser();
    const csrf = field(await (await b.fetch(`${h.base}/connections`)).text(), 'csrf');
    assert.equal((await b.form(`${h.base}/connections/login`, { csrf, username: 'student1', password: 'Student-pass-1!' })).status, 303);
    for (let i = 0; i < 2; i++) assert.equal((await b.form(`${h.base}/connections/revoke`, { csrf, id })).status, 303);
    const revoked = h.audit.filter((r) => r.event === 'auth.token.revoked' && r.connection_id === id);
    assert.equal(revoked.length, 1, 'one revocation, one record');
  });

  it("tells the truth about Moodle tokens: a person's grants share one, revoking leaves it valid in Moodle, resetting it in Moodle ends them all", async () => {
    const s = await discover(h);
    const first = (await tokens(h, s, await authorize(h, s))).result;
    const second = (await tokens(h, s, await authorize(h, s))).result;
    const a = await h.oauth.authenticate(new Request(`${h.base}/mcp`, { headers: { authorization: `Bearer ${first.access_token}` } }));
    const b = await h.oauth.authenticate(new Request(`${h.base}/mcp`, { headers: { authorization: `Bearer ${second.access_token}` } }));
    assert.notEqual(a.id, b.id, 'two grants, two connections');
    assert.equal(a.moodleToken, b.moodleToken, 'one Moodle token, as login/token.php answers');

    const browser = new Browser();
    const csrf = field(await (await browser.fetch(`${h.base}/connections`)).text(), 'csrf');
    await browser.form(`${h.base}/connections/login`, { csrf, username: 'student1', password: 'Student-pass-1!' });
    await browser.form(`${h.base}/connections/revoke`, { csrf, id: a.id });
    assert.equal((await mcp(h, first.access_token)).status, 401, 'the revoked grant ends in the gateway');
    assert.ok(h.moodle.tokens.has(a.moodleToken), 'its Moodle token is still valid in Moodle');
    const page = await (await browser.fetch(`${h.base}/connections`)).text();
    assert.match(page, /Your Moodle token itself stays valid in Moodle/);
    assert.match(page, /all your OAuth connections here share it/);
    assert.match(page, /Preferences &gt; Security keys<\/strong>, the\s+<strong>mcp<\/strong> service, <strong>Reset<\/strong>/);
  });

  it('a pasted token that is not letters and digits is refused before asking Moodle, as on the sign-in page', async () => {
    const b = new Browser();
    const csrf = field(await (await b.fetch(`${h.base}/connections`)).text(), 'csrf');
    const calls = h.moodle.calls.length;
    const audited = h.audit.length;
    const r = await b.form(`${h.base}/connections/token`, { csrf, token: 'not a token; drop' });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /A Moodle token is a string of letters and digits/);
    assert.equal(h.moodle.calls.length, calls, 'Moodle is not asked');
    assert.equal(h.audit.length, audited, 'nothing to audit: no sign-in was attempted');
  });
});
