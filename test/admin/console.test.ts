// The administration console over a real socket, without a browser: who may enter, CSRF, cookies and CSP, keys created
// and revoked (audited), the audit trail and its CSV (the CLI's export), explain, health, languages.
// Moodle: the in-process simulator (a test double); its `admin` user is a site administrator.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAdminSession, sealAdminSession } from '../../runtime/admin/session.ts';
import { exportAudit } from '../../runtime/audit/export.ts';
import { simulatorRoles } from '../../runtime/simulator/data.ts';
import { memoryStream } from '../helpers/io.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/mcp-client.ts';

const OPERATOR_KEY = 'operator-key-for-tests-0123456789';
const BOT_KEY = 'config-bot-key-0123456789abcdef';

/** A tiny browser: a cookie jar, the CSRF field of the last page, forms posted as a browser would. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly base: string, readonly headers: Record<string, string> = {}) {}
  private keep(r: Response) {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      if (/Max-Age=0/.test(c)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }
  private cookie() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async get(path: string): Promise<{ status: number; html: string; response: Response }> {
    const response = await fetch(this.base + path, { redirect: 'manual', headers: { ...this.headers, cookie: this.cookie() } });
    this.keep(response);
    const html = await response.text();
    this.csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? this.csrf;
    return { status: response.status, html, response };
  }
  async post(path: string, fields: Record<string, string>, o: { csrf?: boolean } = {}) {
    const body = new URLSearchParams({ ...(o.csrf === false ? {} : { csrf: this.csrf }), ...fields });
    const response = await fetch(this.base + path, { method: 'POST', redirect: 'manual', headers: { ...this.headers, cookie: this.cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body });
    this.keep(response);
    const html = await response.text();
    this.csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? this.csrf;
    return { status: response.status, html, response };
  }
}

describe('administration console', () => {
  let gw: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let auditFile: string;

  before(async () => {
    const config = testConfig({ admin: { operator_key_sha256: createHash('sha256').update(OPERATOR_KEY).digest('hex') } });
    auditFile = join(config.store.dir, 'audit.jsonl');
    gw = await startTestGateway(
      testConfig({
        store: { dir: config.store.dir }, admin: config.admin, audit: { sinks: [{ type: 'file', path: auditFile }] },
        connections: [{ id: 'reporting-bot', key_env: 'BOT_KEY', moodle_token_env: 'BOT_TOKEN', profile: 'default' }],
      }),
      { env: { BOT_KEY, BOT_TOKEN: simulatorRoles.student.token } },
    );
    server = await listen(gw.gateway);
  });
  after(async () => {
    await server.close();
    await gw.close();
  });

  it('sends a visitor without a session to the sign-in page; pages carry a strict CSP and no script', async () => {
    const b = new Browser(server.url);
    const home = await b.get('/admin');
    assert.equal(home.status, 303);
    assert.equal(home.response.headers.get('location'), '/admin/login');
    const login = await b.get('/admin/login');
    assert.equal(login.status, 200);
    // A cookie that is not percent-decodable is no session (not an unhandled error).
    const garbled = await fetch(`${server.url}/admin`, { redirect: 'manual', headers: { cookie: 'mmcp-admin=%E0%A4%A; mmcp-csrf=%' } });
    assert.equal(garbled.status, 303);
    assert.equal(garbled.headers.get('location'), '/admin/login');
    const csp = login.response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    assert.doesNotMatch(login.html, /<script/i);
    assert.match(login.response.headers.getSetCookie().join('\n'), /mmcp-csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
  });

  it('refuses a form without its CSRF token', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    const r = await b.post('/admin/login', { username: 'admin', password: 'sim-password' }, { csrf: false });
    assert.equal(r.status, 403);
    assert.equal(b.cookies.has('mmcp-admin'), false);
  });

  it('refuses a person who is not a site administrator, and audits it', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    const r = await b.post('/admin/login', { username: simulatorRoles.teacher.username, password: 'sim-password' });
    assert.equal(r.status, 403);
    assert.match(r.html, /is not a site administrator/);
    assert.equal(b.cookies.has('mmcp-admin'), false);
    assert.equal((await b.get('/admin')).status, 303);
    const failed = (await gw.audited()).filter((x) => x.event === 'auth.signin.failed' && x.moodle_username === simulatorRoles.teacher.username);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].auth_method, 'admin-console');
    assert.equal(failed[0].status, 403);
  });

  it('refuses a wrong operator key and accepts the configured one', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    assert.equal((await b.post('/admin/operator', { key: 'wrong' })).status, 401);
    const ok = await b.post('/admin/operator', { key: OPERATOR_KEY });
    assert.equal(ok.status, 303);
    assert.equal((await b.get('/admin')).status, 200);
    const rec = (await gw.audited()).find((x) => x.event === 'auth.signin.ok' && x.auth_method === 'operator-key');
    assert.ok(rec);
    assert.ok(!JSON.stringify(await gw.audited()).includes(OPERATOR_KEY), 'the operator key is never audited');
  });

  it('a site administrator signs in; the session cookie is HttpOnly, SameSite=Strict and expires; a forged or stale one is refused', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    const r = await b.post('/admin/login', { username: 'admin', password: 'sim-password' });
    assert.equal(r.status, 303);
    const cookie = r.response.headers.getSetCookie().find((c) => c.startsWith('mmcp-admin='))!;
    assert.match(cookie, /HttpOnly; SameSite=Strict; Max-Age=1800/);
    assert.equal((await b.get('/admin')).status, 200);
    const value = b.cookies.get('mmcp-admin')!;
    b.cookies.set('mmcp-admin', value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA'));
    assert.equal((await b.get('/admin')).status, 303, 'a forged session is refused');
    const key = Buffer.alloc(32, 1);
    assert.equal(openAdminSession(key, sealAdminSession(key, { who: 'x', method: 'moodle', exp: Math.floor(Date.now() / 1000) - 1 })), null, 'an expired session is refused');
    assert.ok(openAdminSession(key, sealAdminSession(key, { who: 'x', method: 'moodle', exp: Math.floor(Date.now() / 1000) + 60 })));
  });

  it('creates a key (shown once), the key calls Moodle, the call is in the audit page and the CSV, revoking stops it; each change is audited', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    await b.post('/admin/login', { username: 'admin', password: 'sim-password' });
    await b.get('/admin');
    const created = await b.post('/admin/keys', { name: 'grading bot', profile: 'default', access: 'read', moodle_token: simulatorRoles.student.token });
    assert.equal(created.status, 200, created.html);
    const key = /id="new-key">(mmcp_[A-Za-z0-9_]+)</.exec(created.html)?.[1];
    assert.ok(key, 'the new key is on the page');
    assert.equal((await b.get('/admin')).html.includes(key), false, 'shown only once');

    const client = await connectClient(server.url, key);
    const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((info.structuredContent as { username: string }).username, 'emma.johansson');
    await client.close();
    await gw.gateway.audit.flush();

    const keyCreated = (await gw.audited()).find((x) => x.event === 'auth.key.created' && x.moodle_username === 'emma.johansson');
    assert.ok(keyCreated?.connection_id);
    assert.match(keyCreated.detail ?? '', /admin console \(site admin admin\)/);
    const id = keyCreated.connection_id;

    const list = await b.get('/admin');
    assert.match(list.html, new RegExp(`<code>${id}</code>`));
    assert.match(list.html, /1 call, 0 denials/);

    const page = await b.get(`/admin/audit?connection=${id}&function=core_webservice_get_site_info`);
    assert.match(page.html, /1 matching record, newest first/);
    assert.match(page.html, /<td>tools\/call<\/td>/);

    const csv = await fetch(`${server.url}/admin/audit.csv?connection=${id}`, { headers: { cookie: `mmcp-admin=${b.cookies.get('mmcp-admin')}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="moodle-mcp-audit-/);
    const text = await csv.text();
    const cli = memoryStream();
    await exportAudit({ file: auditFile, format: 'csv', out: cli.stream, connection: id });
    assert.equal(text, cli.text(), 'the same neutralised export as the CLI');
    assert.match(text, /\r\n[^,]*,tools\/call,/);
    assert.equal((await fetch(`${server.url}/admin/audit.csv`, { redirect: 'manual' })).status, 303, 'no CSV without a session');

    const revoked = await b.post('/admin/revoke', { id });
    assert.match(revoked.html, /Revoked: grading bot/);
    await assert.rejects(connectClient(server.url, key));
    const rec = (await gw.audited()).find((x) => x.event === 'auth.key.revoked' && x.connection_id === id);
    assert.match(rec?.detail ?? '', /admin console/);
    assert.ok(!readFileSync(auditFile, 'utf8').includes(key), 'the key never reaches the audit trail');
  });

  it('revokes a key of the configuration: listed, then refused from the next request on, audited', async () => {
    const b = new Browser(server.url);
    await b.get('/admin/login');
    await b.post('/admin/operator', { key: OPERATOR_KEY });
    const client = await connectClient(server.url, BOT_KEY);
    await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    await client.close();
    const list = await b.get('/admin');
    assert.match(list.html, /<code>reporting-bot<\/code>/);
    assert.match(list.html, /Key in the configuration/);
    const revoked = await b.post('/admin/revoke', { id: 'reporting-bot' });
    assert.equal(revoked.status, 200);
    assert.match(revoked.html, /Revoked: reporting-bot\./);
    assert.doesNotMatch(revoked.html, /<code>reporting-bot<\/code>/, 'no longer listed as live');
    await assert.rejects(connectClient(server.url, BOT_KEY));
    const rec = (await gw.audited()).find((x) => x.event === 'auth.key.revoked' && x.connection_id === 'reporting-bot');
    assert.equal(rec?.auth_method, 'config-key');
    assert.match(rec?.detail ?? '', /admin console \(operator key\)/);
    assert.equal((await b.post('/admin/revoke', { id: 'reporting-bot' })).status, 404, 'a second revocation finds nothing live');
  });

  it('explains a decision with every reason; shows profiles in plain words; reports health', async () => {
    const b = new Browser(server.url, { 'accept-language': 'en' });
    await b.get('/admin/login');
    await b.post('/admin/login', { username: 'admin', password: 'sim-password' });
    const policy = await b.get('/admin/policy');
    assert.match(policy.html, /Policy version [0-9a-f]{16}\./);
    assert.match(policy.html, /Profile default/);
    assert.match(policy.html, /Example of a course-restricted profile/, "the profile's description from the config");
    const x = await b.post('/admin/policy/explain', { profile: 'default', function: 'core_user_delete_users', args: '{}' });
    assert.match(x.html, /<strong>Refused<\/strong>/);
    assert.match(x.html, /the gateway is read-only: write functions are disabled/);
    const bad = await b.post('/admin/policy/explain', { profile: 'default', function: 'no_such_function' });
    assert.match(bad.html, /Moodle function: no_such_function is not in the catalog/);
    const badArgs = await b.post('/admin/policy/explain', { profile: 'default', function: 'core_course_get_courses', args: '{nope' });
    assert.match(badArgs.html, /class="error"[^>]*>Arguments: /);
    const health = await b.get('/admin/health');
    assert.match(health.html, /Audit sink file:/);
    assert.match(health.html, /Backend memory, window 60 s\./);
    assert.match(health.html, /The built-in simulator/);
  });

  it('speaks the browser language, and the switcher changes it (kept in a cookie)', async () => {
    const b = new Browser(server.url, { 'accept-language': 'pt-BR,pt;q=0.9,en;q=0.5' });
    const pt = await b.get('/admin/login');
    assert.match(pt.html, /<html lang="pt-BR">/);
    assert.match(pt.html, /Console de administração: entrar/);
    const de = await b.get('/admin/login?lang=de');
    assert.match(de.html, /Administrationskonsole: Anmeldung/);
    assert.match(de.response.headers.getSetCookie().join('\n'), /mmcp-lang=de; Path=\/; HttpOnly; SameSite=Lax/);
    assert.match((await b.get('/admin/login')).html, /<html lang="de">/, 'the choice is remembered');
  });
});
