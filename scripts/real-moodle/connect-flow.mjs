#!/usr/bin/env node
// Drives the connect flow of local_moodlemcp on the DEV Moodle end to end, acting as a fake gateway (a callback
// server on 127.0.0.1:3999 and server-to-server calls), with headless Chromium for the person's side: Moodle's login
// page -> the dev IdP (single sign-on) -> the plugin's confirm page -> back to the callback with a code; then
// redeem, use the token over REST, replay, revoke, a token deleted by an administrator in Moodle, one ended by the
// person on the plugin's MCP connections page, Cancel, the
// site-administrator and "Log in as" refusals and a bad return_to. Prints what happened at each step (never a token or secret).
// Needs setup-connect.sh first (README.md in this folder). Run as root (it reads the dev database with psql).
// With setup-connect.sh --mfa (OUT/mfa.json exists) also a manual account with multi-factor (TOTP) connects.
// Usage: node scripts/real-moodle/connect-flow.mjs [--name moodle] [--shots DIR]
import { createServer } from 'node:http';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({ options: { name: { type: 'string', default: 'moodle' }, shots: { type: 'string', default: '' } } });
const OUT = `/opt/${values.name}-out`;
const config = readFileSync(`/opt/${values.name}/config.php`, 'utf8');
const WWW = /\$CFG->wwwroot\s*=\s*'([^']+)'/.exec(config)[1];
const DBNAME = /\$CFG->dbname\s*=\s*'([^']+)'/.exec(config)[1];
const SECRET = readFileSync(`${OUT}/connect-secret`, 'utf8').trim();
const IDP = JSON.parse(readFileSync(`${OUT}/idp.json`, 'utf8'));
const [SSO_LOGIN, SSO] = Object.entries(IDP.users)[0];
const CALLBACK = 'http://127.0.0.1:3999/oauth/moodle/callback';
const SHOTS = values.shots;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (!ok) failures++;
}
const note = (what) => console.log(`      ${what}`);

function sql(query) {
  return execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-F', '|', DBNAME, '-c', query], { cwd: '/', encoding: 'utf8' }).trim();
}
async function post(path, fields) {
  const res = await fetch(`${WWW}${path}`, { method: 'POST', body: new URLSearchParams(fields) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}
async function rest(token, wsfunction, params = {}) {
  const res = await fetch(`${WWW}/webservice/rest/server.php`, { method: 'POST', body: new URLSearchParams({ wstoken: token, wsfunction, moodlewsrestformat: 'json', ...params }) });
  return res.json();
}
const tokenRow = (token) => sql(`SELECT id, userid, name, validuntil, externalserviceid FROM mdl_external_tokens WHERE token = '${token.replace(/[^0-9a-f]/g, '')}'`);

// The fake gateway's callback: remembers what arrived.
const arrivals = [];
const callback = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1:3999');
  if (url.pathname === new URL(CALLBACK).pathname) arrivals.push(Object.fromEntries(url.searchParams)); // not /favicon.ico
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('fake gateway: callback received');
});
await new Promise((resolve) => callback.listen(3999, '127.0.0.1', resolve));

function start(client, over = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const params = {
    return_to: CALLBACK, state, code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256', client, gateway: 'fake gateway (connect-flow.mjs)',
    valid_until: String(Math.floor(Date.now() / 1000) + 30 * 86400), ...over,
  };
  return { verifier, state, url: `${WWW}/local/moodlemcp/connect.php?${new URLSearchParams(params)}` };
}
async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
async function confirmAndConnect(page, flow, button = 'Connect') {
  await page.getByRole('button', { name: button }).click();
  await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  const got = arrivals.at(-1);
  check(got.state === flow.state, `callback state matches (${button})${got.error ? `; error=${got.error}: ${got.error_description}` : ""}`);
  return got;
}
const redeem = (flow, code, over = {}) => post('/local/moodlemcp/redeem.php', { code, code_verifier: flow.verifier, redirect_uri: CALLBACK, secret: SECRET, ...over });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
try {
  // 0. The SSO account cannot get a token from login/token.php.
  console.log(`== 0. ${SSO_LOGIN}: login/token.php`);
  for (const [label, password] of [['its IdP password', SSO.password], ['the seed password', 'Moodle-Dev-2026!']]) {
    const res = await fetch(`${WWW}/login/token.php`, { method: 'POST', body: new URLSearchParams({ username: SSO_LOGIN, password, service: 'mcp' }) });
    const body = await res.json();
    check(!body.token && Boolean(body.error), `login/token.php with ${label} answers an error: ${JSON.stringify({ errorcode: body.errorcode, error: body.error })}`);
  }
  const info = await (await fetch(`${WWW}/local/moodlemcp/connectinfo.php`)).json();
  check(info.connect?.enabled === true, `connectinfo.php: ${JSON.stringify(info)}`);

  // 1. Connect through Moodle's login page and the IdP.
  console.log('== 1. connect.php -> Moodle login -> IdP -> confirm -> callback with a code');
  const context = await browser.newContext({ ignoreHTTPSErrors: true }); // the IdP's dev CA is not in Chromium's store
  const page = await context.newPage();
  const first = start('Claude Desktop');
  await page.goto(first.url);
  check(page.url().startsWith(`${WWW}/login/index.php`), `not signed in: Moodle's login page (${new URL(page.url()).pathname})`);
  await shot(page, '1-moodle-login');
  await page.getByRole('link', { name: /Northbridge SSO/ }).click();
  await page.waitForURL((u) => u.origin === new URL(IDP.issuer).origin);
  check(true, `Moodle sent the browser to the IdP (${new URL(page.url()).origin})`);
  await page.fill('input[name=login]', SSO_LOGIN);
  await page.fill('input[name=password]', SSO.password);
  await shot(page, '2-idp-login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.href.startsWith(`${WWW}/local/moodlemcp/connect.php`));
  const text = await page.locator('#region-main, [role=main]').first().innerText();
  check(/Claude Desktop/.test(text) && /fake gateway/.test(text) && /Sam Ssoworth/.test(text), 'back in Moodle as the SSO user: the confirm page names client, gateway and person');
  await shot(page, '3-confirm');
  const got = await confirmAndConnect(page, first);
  check(/^[A-Za-z0-9_-]{43}$/.test(got.code ?? ''), 'the callback got a one-time code');

  console.log('== 2. redeem.php (server to server)');
  const wrongSecret = await redeem(first, got.code, { secret: 'x'.repeat(40) });
  check(wrongSecret.status === 401 && wrongSecret.body.error === 'invalid_client', `wrong secret: ${wrongSecret.status} ${JSON.stringify(wrongSecret.body)}`);
  const ok = await redeem(first, got.code);
  check(ok.status === 200 && typeof ok.body.token === 'string', `redeem: ${ok.status} ${ok.type} userid=${ok.body.userid} validuntil=${ok.body.validuntil} service=${ok.body.service}`);
  const row1 = tokenRow(ok.body.token);
  note(`external_tokens row (id|userid|name|validuntil|serviceid): ${row1}`);
  check(row1.split('|')[2] === 'moodle-mcp: Claude Desktop via fake gateway (connect-flow.mjs)', 'token name in Moodle');
  const site = await rest(ok.body.token, 'core_webservice_get_site_info');
  check(site.username === SSO_LOGIN, `REST with the token: core_webservice_get_site_info -> username=${site.username} userid=${site.userid}`);
  const courses = await rest(ok.body.token, 'core_enrol_get_users_courses', { userid: String(site.userid) });
  check(Array.isArray(courses) && courses.some((c) => c.id === 2), `REST as the person: core_enrol_get_users_courses -> ${Array.isArray(courses) ? courses.map((c) => c.shortname).join(', ') : JSON.stringify(courses)}`);

  console.log('== 3. replay of the same code: invalid_grant and the token is revoked');
  const replay = await redeem(first, got.code);
  check(replay.status === 400 && replay.body.error === 'invalid_grant', `replay: ${replay.status} ${JSON.stringify(replay.body)}`);
  check(tokenRow(ok.body.token) === '', 'the token is gone from external_tokens');
  const afterReplay = await rest(ok.body.token, 'core_webservice_get_site_info');
  check(afterReplay.errorcode === 'invalidtoken', `REST with it now: errorcode=${afterReplay.errorcode}`);

  console.log('== 4. a second connection (already signed in: straight to the confirm page), revoked through revoke.php');
  const second = start('Cursor');
  await page.goto(second.url);
  check(page.url().startsWith(`${WWW}/local/moodlemcp/connect.php`), 'signed-in session: the confirm page directly');
  const got2 = await confirmAndConnect(page, second);
  const ok2 = await redeem(second, got2.code);
  check(ok2.status === 200, `redeem: ${ok2.status}; external_tokens: ${tokenRow(ok2.body.token)}`);
  const revoke = await post('/local/moodlemcp/revoke.php', { token: ok2.body.token });
  check(revoke.status === 200 && revoke.body.revoked === true, `revoke.php: ${revoke.status} ${JSON.stringify(revoke.body)}`);
  const afterRevoke = await rest(ok2.body.token, 'core_webservice_get_site_info');
  check(afterRevoke.errorcode === 'invalidtoken', `REST with the revoked token: errorcode=${afterRevoke.errorcode}`);
  const again = await post('/local/moodlemcp/revoke.php', { token: ok2.body.token });
  check(again.status === 200 && again.body.revoked === false, `revoke.php again: ${JSON.stringify(again.body)}`);
  const foreign = JSON.parse(readFileSync(`${OUT}/tokens.json`, 'utf8')).student.token;
  const notOurs = await post('/local/moodlemcp/revoke.php', { token: foreign });
  check(notOurs.body.revoked === false && (await rest(foreign, 'core_webservice_get_site_info')).username, 'revoke.php with a token the plugin did not issue: revoked=false, the token still works');

  console.log('== 5. a third connection, its token deleted by an administrator in Moodle (Manage tokens)');
  const third = start('Zed');
  await page.goto(third.url);
  const got3 = await confirmAndConnect(page, third);
  const ok3 = await redeem(third, got3.code);
  const [tokenid3] = tokenRow(ok3.body.token).split('|');
  check(ok3.status === 200 && (await rest(ok3.body.token, 'core_webservice_get_site_info')).username === SSO_LOGIN, `third token works (external_tokens id ${tokenid3})`);
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await adminPage.goto(`${WWW}/login/index.php`);
  await adminPage.fill('#username', 'admin');
  await adminPage.fill('#password', 'Admin#12345');
  await adminPage.click('#loginbtn');
  await adminPage.waitForURL((u) => !u.pathname.startsWith('/login/'));
  await adminPage.goto(`${WWW}/admin/webservice/tokens.php?action=delete&tokenid=${tokenid3}`);
  await shot(adminPage, '5-admin-delete-token');
  await adminPage.getByRole('button', { name: /Delete|Continue/ }).first().click();
  await adminPage.waitForLoadState();
  const afterAdmin = await rest(ok3.body.token, 'core_webservice_get_site_info');
  check(afterAdmin.errorcode === 'invalidtoken', `after the administrator deleted it: REST errorcode=${afterAdmin.errorcode}`);
  const purge = execFileSync('runuser', ['-u', 'www-data', '--', 'php', `/opt/${values.name}/admin/cli/scheduled_task.php`,
    '--execute=\\local_moodlemcp\\task\\purge_connect_codes'], { cwd: `/opt/${values.name}`, encoding: 'utf8' });
  check(/[1-9][0-9]* deleted token\(s\) forgotten/.test(purge) && sql(`SELECT count(*) FROM mdl_local_moodlemcp_tokens WHERE tokenid = ${Number(tokenid3)}`) === '0',
    `purge task forgot the deleted token: ${(purge.match(/local_moodlemcp: .*/) ?? [''])[0]}`);

  console.log('== 5b. a fourth connection, ended by the person in Moodle (Preferences > MCP connections)');
  const fourth = start('Goose');
  await page.goto(fourth.url);
  const got6 = await confirmAndConnect(page, fourth);
  const ok4 = await redeem(fourth, got6.code);
  check(ok4.status === 200 && (await rest(ok4.body.token, 'core_webservice_get_site_info')).username === SSO_LOGIN, 'fourth token works');
  await page.goto(`${WWW}/user/preferences.php`);
  await page.getByRole('link', { name: 'MCP connections' }).click();
  const row = page.locator('tr', { hasText: 'moodle-mcp: Goose via fake gateway' });
  check(await row.count() === 1, 'Preferences > MCP connections lists the connection');
  await shot(page, '5b-connections');
  await row.getByRole('button', { name: 'End this connection' }).click();
  await page.waitForLoadState();
  check(/The connection has ended/.test(await page.locator('body').innerText()), 'the page confirms the connection ended');
  const afterPerson = await rest(ok4.body.token, 'core_webservice_get_site_info');
  check(afterPerson.errorcode === 'invalidtoken', `after the person ended it: REST errorcode=${afterPerson.errorcode}`);

  if (existsSync(`${OUT}/mfa.json`)) {
    console.log('== 5c. a manual account with multi-factor (tool_mfa, TOTP): password, then the code, then the confirm page');
    const mfa = JSON.parse(readFileSync(`${OUT}/mfa.json`, 'utf8'));
    const mfaContext = await browser.newContext();
    const mfaPage = await mfaContext.newPage();
    const flow = start('MFA client');
    await mfaPage.goto(flow.url);
    await mfaPage.fill('#username', mfa.username);
    await mfaPage.fill('#password', mfa.password);
    await mfaPage.click('#loginbtn');
    await mfaPage.waitForURL((u) => u.pathname.startsWith('/admin/tool/mfa/'));
    check(true, `after the password Moodle asks for the second factor (${new URL(mfaPage.url()).pathname})`);
    await shot(mfaPage, '5c-mfa');
    // The current code, from the authenticator secret, computed by Moodle's own TOTP library. A code is accepted once:
    // if this 30 s period's code was used already (an earlier run), the next period's is entered.
    const totp = () => execFileSync('runuser', ['-u', 'www-data', '--', 'php', '-r', `define('CLI_SCRIPT', true); require '/opt/${values.name}/config.php';
      class_exists(\\factor_totp\\factor::class); echo \\OTPHP\\TOTP::create($argv[1], clock: \\core\\di::get(\\core\\clock::class))->now();`, mfa.totpsecret],
      { cwd: '/', encoding: 'utf8' }).trim();
    for (let attempt = 1; ; attempt++) {
      await mfaPage.fill('input[name=verificationcode]', totp());
      await mfaPage.keyboard.press('Enter');
      const passed = await mfaPage.waitForURL((u) => u.pathname === '/local/moodlemcp/connect.php', { timeout: 10_000 }).then(() => true, () => false);
      if (passed) break;
      if (attempt === 2) throw new Error('the TOTP code was refused twice');
      note('code refused (already used in this period): waiting for the next one');
      await new Promise((resolve) => setTimeout(resolve, (30 - (Math.floor(Date.now() / 1000) % 30) + 1) * 1000));
    }
    check(true, 'after the code: the confirm page');
    const gotMfa = await confirmAndConnect(mfaPage, flow);
    const okMfa = await redeem(flow, gotMfa.code);
    const siteMfa = await rest(okMfa.body.token, 'core_webservice_get_site_info');
    check(okMfa.status === 200 && siteMfa.username === mfa.username, `redeemed; REST as ${siteMfa.username}`);
    const revokeMfa = await post('/local/moodlemcp/revoke.php', { token: okMfa.body.token });
    check(revokeMfa.body.revoked === true, 'revoked through revoke.php');
    await mfaContext.close();
  }

  console.log('== 6. Cancel, site administrator, bad return_to');
  const cancel = start('Cancelled client');
  await page.goto(cancel.url);
  const got4 = await confirmAndConnect(page, cancel, 'Cancel');
  check(got4.error === 'access_denied' && !got4.code, `Cancel: callback error=${got4.error}`);
  const adminFlow = start('Admin client');
  await adminPage.goto(adminFlow.url);
  await adminPage.waitForURL((u) => u.href.startsWith(CALLBACK));
  const got5 = arrivals.at(-1);
  check(got5.error === 'siteadmin' && got5.state === adminFlow.state && !got5.code, `site administrator: callback error=${got5.error}`);
  // The administrator "logs in as" the SSO user: refused too (the token would outlive that session).
  const ssoId = sql(`SELECT id FROM mdl_user WHERE username = '${SSO_LOGIN}'`);
  await adminPage.goto(`${WWW}/user/profile.php?id=${ssoId}`);
  const loginAs = adminPage.locator('a[href*="/course/loginas.php"]').first();
  await adminPage.goto(await loginAs.getAttribute('href'));
  const asFlow = start('Log-in-as client');
  await adminPage.goto(asFlow.url);
  await adminPage.waitForURL((u) => u.href.startsWith(CALLBACK));
  const got7 = arrivals.at(-1);
  check(got7.error === 'nopermission' && !got7.code && /logged in as another user/.test(got7.error_description ?? ''),
    `administrator "logged in as" ${SSO_LOGIN}: callback error=${got7.error} (${got7.error_description})`);
  const before = arrivals.length;
  const bad = start('Evil', { return_to: 'http://127.0.0.1:3999/elsewhere' });
  await page.goto(bad.url);
  const errorText = await page.locator('body').innerText();
  check(new URL(page.url()).pathname === '/local/moodlemcp/connect.php' && arrivals.length === before && /return_to/.test(errorText),
    `return_to not in connectreturnurls: an error page in Moodle, no redirect (${new URL(page.url()).pathname}, ${arrivals.length - before} callback(s))`);
  await shot(page, '6-bad-return-to');
  await admin.close();
  await context.close();

  check([ok, ok2, ok3, ok4].every((r) => tokenRow(r.body.token) === ''), 'none of the four tokens of this run is left in external_tokens');
  const left = sql(`SELECT count(*) FROM mdl_local_moodlemcp_tokens t JOIN mdl_user u ON u.id = t.userid WHERE u.username = '${SSO_LOGIN}'`);
  note(`plugin token rows for ${SSO_LOGIN} (other runs' live or unredeemed ones; the purge task deletes codes unredeemed after 120 s): ${left}`);
} finally {
  await browser.close();
  callback.close();
}
console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
process.exit(failures ? 1 : 0);
