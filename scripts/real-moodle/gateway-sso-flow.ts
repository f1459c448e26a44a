// "Sign in with Moodle" end to end against the REAL dev Moodle 4.5.6 (not in CI): the gateway (from source) on
// 127.0.0.1:3999 with password sign-in switched off, an MCP client (the SDK) doing OAuth, headless Chromium for the
// person: the gateway's sign-in page → Moodle's login page → the dev IdP (single sign-on; the account has no password
// login/token.php accepts) → the plugin's confirm page → the gateway's consent → a tool call with the connection's own
// Moodle token; then revocation from the gateway ("My connections", signed in through Moodle too: the token is gone in
// Moodle) and from Moodle (a second connection's token deleted there, as on Manage tokens: the gateway revokes the
// connection at its next use, 401); with the plugin's --mfa setup, a manual account with TOTP connects and the CLI
// (`connections revoke`) ends it in Moodle too. Prints PASS/FAIL per step, never a token or secret; exit code 1 on any FAIL.
// Needs the plugin's setup (scripts/real-moodle/setup-connect.sh, sso-plugin) and root (reads the dev database with psql).
// Usage: node --import tsx scripts/real-moodle/gateway-sso-flow.ts [--name moodle] [--shots DIR]
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type Page } from 'playwright-core';
import { decryptSecret } from '../../runtime/auth/crypto.ts';
import { runConnectionsCommand } from '../../runtime/cli/connections.ts';
import { listen, startTestGateway, testConfig } from '../../test/helpers/gateway.ts';
import { Sink } from '../../test/auth/helpers.ts';
import { sdkProvider } from '../../test/auth/oauth-harness.ts';

const { values } = parseArgs({ options: { name: { type: 'string', default: 'moodle' }, shots: { type: 'string', default: '' } } });
const OUT = `/opt/${values.name}-out`;
const phpConfig = readFileSync(`/opt/${values.name}/config.php`, 'utf8');
const WWW = /\$CFG->wwwroot\s*=\s*'([^']+)'/.exec(phpConfig)![1];
const DBNAME = /\$CFG->dbname\s*=\s*'([^']+)'/.exec(phpConfig)![1];
const IDP = JSON.parse(readFileSync(`${OUT}/idp.json`, 'utf8')) as { issuer: string; users: Record<string, { password: string }> };
const [SSO_LOGIN, SSO] = Object.entries(IDP.users)[0];
const PORT = 3999;
const BASE = `http://127.0.0.1:${PORT}`;
const SHOTS = values.shots;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

let failures = 0;
function check(ok: boolean, what: string) {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (!ok) failures++;
}
const sql = (query: string) => execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-F', '|', DBNAME, '-c', query], { cwd: '/', encoding: 'utf8' }).trim();
const hex = (token: string) => token.replace(/[^0-9a-f]/g, '');
const tokenRow = (token: string) => sql(`SELECT id, userid, name, validuntil FROM mdl_external_tokens WHERE token = '${hex(token)}'`);
const shot = async (page: Page, name: string) => void (SHOTS && (await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })));

async function mcp(accessToken: string) {
  const client = new Client({ name: 'gateway-sso-flow', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  return client;
}

console.log(`== 0. ${WWW}: the plugin and the SSO account`);
const info = (await (await fetch(`${WWW}/local/moodlemcp/connectinfo.php`)).json()) as { release?: string; connect?: { enabled?: boolean } };
check(info.connect?.enabled === true, `connectinfo.php: ${JSON.stringify(info)}`);
const login = (await (await fetch(`${WWW}/login/token.php`, { method: 'POST', body: new URLSearchParams({ username: SSO_LOGIN, password: SSO.password, service: 'mcp' }) })).json()) as { token?: string; errorcode?: string };
check(!login.token, `login/token.php refuses ${SSO_LOGIN} (SSO account, its IdP password): errorcode=${login.errorcode}`);

console.log(`== 1. the gateway on ${BASE} (moodle_signin auto, password_signin false)`);
const dir = mkdtempSync(join(tmpdir(), 'gateway-sso-flow-'));
const env = { MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'), MOODLE_MCP_CONNECT_SECRET: readFileSync(`${OUT}/connect-secret`, 'utf8').trim() };
const gw = await startTestGateway(testConfig({ mode: 'read-write', moodle: { url: WWW }, server: { port: PORT, public_url: BASE }, store: { dir }, oauth: { password_signin: false } }, env), { env });
const server = await listen(gw.gateway, { port: PORT });
const store = gw.gateway.auth!.store;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
const context = await browser.newContext({ ignoreHTTPSErrors: true }); // the dev IdP's CA is not in Chromium's store
const page = await context.newPage();
let callback: URL | undefined;
await page.route('http://127.0.0.1:9/**', (route) => {
  callback = new URL(route.request().url());
  return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back in the MCP client' });
});

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, as an authenticator app computes it. */
function totp(secret: string, at = Date.now()): string {
  const bits = [...secret.replace(/=+$/, '').toUpperCase()].map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Moodle's manual login form, then tool_mfa's TOTP step (a code is accepted once: a used one waits for the next period). */
async function manualLoginWithMfa(p: Page, mfa: { username: string; password: string; totpsecret: string }) {
  await p.waitForURL((u) => u.href.startsWith(`${WWW}/login/index.php`));
  await p.fill('#username', mfa.username);
  await p.fill('#password', mfa.password);
  await p.click('#loginbtn');
  await p.waitForURL((u) => u.pathname.startsWith('/admin/tool/mfa/'));
  check(true, `after the password Moodle asks for the second factor (${new URL(p.url()).pathname})`);
  await shot(p, 'mfa-1-code');
  for (let attempt = 1; ; attempt++) {
    await p.fill('input[name=verificationcode]', totp(mfa.totpsecret));
    await p.keyboard.press('Enter');
    if (await p.waitForURL((u) => u.pathname === '/local/moodlemcp/connect.php', { timeout: 10_000 }).then(() => true, () => false)) return;
    if (attempt === 2) throw new Error('the TOTP code was refused twice');
    await new Promise((resolve) => setTimeout(resolve, (31 - (Math.floor(Date.now() / 1000) % 30)) * 1000));
  }
}

/**
 * OAuth for a new SDK client through the gateway's sign-in page and Moodle, in `p`: `sso` logs in at the IdP first,
 * `mfa` on Moodle's manual form with a second factor, neither: the Moodle session is still open.
 */
async function connect(clientName: string, sso: boolean, p: Page = page, mfa?: { username: string; password: string; totpsecret: string }) {
  const page = p;
  const sdk = sdkProvider(clientName);
  check((await auth(sdk.provider, { serverUrl: `${BASE}/mcp` })) === 'REDIRECT', `${clientName}: the SDK's auth() sends the person to the gateway`);
  await page.goto(sdk.state.url!.toString());
  const signIn = page.getByRole('link', { name: /^Sign in with / });
  await signIn.waitFor();
  check((await page.getByLabel('Password').count()) === 0, `gateway sign-in page: "${(await signIn.innerText()).trim()}", no password form`);
  await shot(page, `${clientName}-1-gateway-signin`);
  await signIn.click();
  if (mfa) await manualLoginWithMfa(page, mfa);
  if (sso) {
    await page.waitForURL((u) => u.href.startsWith(`${WWW}/login/index.php`));
    check(true, 'Moodle\'s own login page');
    await shot(page, `${clientName}-2-moodle-login`);
    await page.getByRole('link', { name: /Northbridge SSO/ }).click();
    await page.waitForURL((u) => u.origin === new URL(IDP.issuer).origin);
    await page.fill('input[name=login]', SSO_LOGIN);
    await page.fill('input[name=password]', SSO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.waitForURL((u) => u.href.startsWith(`${WWW}/local/moodlemcp/connect.php`));
  check(true, `the plugin's confirm page${sso ? ' after the IdP' : mfa ? ' after the second factor' : ' (Moodle session still open)'}`);
  await shot(page, `${clientName}-3-confirm`);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('heading', { name: /^Allow access to / }).waitFor();
  check(page.url().startsWith(`${BASE}/interaction/`), 'the gateway\'s consent page');
  await shot(page, `${clientName}-4-consent`);
  await page.getByLabel('Read only').check();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL('http://127.0.0.1:9/**');
  const code = callback?.searchParams.get('code') ?? undefined;
  check((await auth(sdk.provider, { serverUrl: `${BASE}/mcp`, authorizationCode: code })) === 'AUTHORIZED', `${clientName}: the SDK holds OAuth tokens`);
  const record = (await store.listConnections({ kind: 'oauth' })).at(-1)!;
  const moodleToken = decryptSecret(gw.gateway.auth!.keyring, record.moodleTokenEnc!, record.id);
  return { sdk, record, moodleToken, accessToken: sdk.state.tokens!.access_token };
}

try {
  console.log('== 2. an MCP client connects through Moodle\'s login (SSO) and calls a tool');
  const first = await connect('Claude Desktop', true);
  check(first.record.moodleTokenSource === 'plugin', `connection ${first.record.id}: moodleTokenSource=${first.record.moodleTokenSource}, user ${first.record.moodleUser?.username}`);
  const row = tokenRow(first.moodleToken);
  check(row !== '', `Moodle has the connection's own token (id|userid|name|validuntil): ${row}`);
  const client = await mcp(first.accessToken);
  const site = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  check((site.structuredContent as { username?: string }).username === SSO_LOGIN, `tools/call core_webservice_get_site_info as ${(site.structuredContent as { username?: string }).username}`);
  await client.close();

  console.log('== 3. revoked from the gateway ("My connections", signed in through Moodle): the token is gone in Moodle');
  const before = sql('SELECT count(*) FROM mdl_external_tokens');
  await page.goto(`${BASE}/connections`);
  await page.getByRole('link', { name: /^Sign in with / }).click();
  await page.waitForURL((u) => u.href.startsWith(`${WWW}/local/moodlemcp/connect.php`));
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('heading', { name: 'My Moodle connections' }).waitFor();
  check(sql('SELECT count(*) FROM mdl_external_tokens') === before, 'the page\'s own sign-in token was deleted in Moodle at once');
  await shot(page, '5-my-connections');
  await page.getByRole('button', { name: 'Revoke Claude Desktop' }).click();
  await page.getByText('You have no active connections.').waitFor();
  check(tokenRow(first.moodleToken) === '', 'the connection\'s token is gone from mdl_external_tokens');
  const after = (await (await fetch(`${WWW}/webservice/rest/server.php`, { method: 'POST', body: new URLSearchParams({ wstoken: first.moodleToken, wsfunction: 'core_webservice_get_site_info', moodlewsrestformat: 'json' }) })).json()) as { errorcode?: string };
  check(after.errorcode === 'invalidtoken', `REST with it: errorcode=${after.errorcode}`);
  const refused = await fetch(`${BASE}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${first.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  check(refused.status === 401, `the MCP client is refused: HTTP ${refused.status}`);

  console.log('== 4. revoked from Moodle (the token deleted there, as on Manage tokens): the gateway ends the connection');
  const second = await connect('Cursor', false);
  const client2 = await mcp(second.accessToken);
  await client2.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  sql(`DELETE FROM mdl_external_tokens WHERE token = '${hex(second.moodleToken)}'`);
  check(tokenRow(second.moodleToken) === '', 'deleted in Moodle');
  const failed = await client2.callTool({ name: 'core_webservice_get_site_info', arguments: {} }).catch((e: Error) => e);
  check(failed instanceof Error || Boolean((failed as { isError?: boolean }).isError), 'the next tool call fails (Moodle: invalidtoken)');
  check(Boolean((await store.getConnection(second.record.id))?.revokedAt), 'the gateway marked the connection revoked');
  const next = await fetch(`${BASE}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${second.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  check(next.status === 401 && /invalid_token/.test(next.headers.get('www-authenticate') ?? ''), `then 401 invalid_token: ${next.status}`);
  await client2.close().catch(() => undefined);

  if (existsSync(`${OUT}/mfa.json`)) {
    console.log('== 5. a manual account with multi-factor (tool_mfa, TOTP) connects; revoked with the CLI (`connections revoke`)');
    const mfa = JSON.parse(readFileSync(`${OUT}/mfa.json`, 'utf8')) as { username: string; password: string; totpsecret: string };
    const mfaContext = await browser.newContext();
    const mfaPage = await mfaContext.newPage();
    await mfaPage.route('http://127.0.0.1:9/**', (route) => {
      callback = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back in the MCP client' });
    });
    const third = await connect('MFA client', false, mfaPage, mfa);
    const client3 = await mcp(third.accessToken);
    const me = await client3.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    check((me.structuredContent as { username?: string }).username === mfa.username, `tools/call as ${(me.structuredContent as { username?: string }).username}`);
    await client3.close();
    const sink = new Sink();
    const code = await runConnectionsCommand(['revoke', third.record.id], { stdout: sink, stderr: sink, config: gw.gateway.config, store, keyring: gw.gateway.auth!.keyring, env: {}, audit: { record: (r) => gw.gateway.audit.record(r) } });
    check(code === 0, `moodle-mcp connections revoke ${third.record.id}: exit ${code}: ${sink.text.trim().replace(/\n/g, '; ')}`);
    check(tokenRow(third.moodleToken) === '', 'its token is gone from mdl_external_tokens');
    await mfaContext.close();
  }

  console.log('== 6. the audit trail (events; never a token)');
  const audit = await gw.audited();
  for (const r of audit.filter((x) => x.event.startsWith('auth.')))
    console.log(`      ${r.event} ${r.decision ?? ''} ${r.status ?? ''} ${r.detail ?? ''} ${r.moodle_username ?? ''} ${r.reasons?.join('; ') ?? ''}`.replace(/\s+/g, ' '));
  const text = JSON.stringify(audit);
  check(!text.includes(first.moodleToken) && !text.includes(second.moodleToken) && !text.includes(env.MOODLE_MCP_CONNECT_SECRET), 'no token or secret in the audit trail');
  check(audit.some((r) => r.event === 'auth.moodle_token.revoked' && r.decision === 'allowed' && r.detail === 'connections page'), 'auth.moodle_token.revoked (connections page) audited');
  check(audit.some((r) => r.event === 'auth.token.revoked' && /invalidtoken/.test(r.detail ?? '')), 'auth.token.revoked (Moodle answered invalidtoken) audited');
} catch (error) {
  failures++;
  console.log(`FAIL  ${(error as Error).message}`);
  await shot(page, 'failure').catch(() => undefined);
} finally {
  await browser.close();
  await server.close();
  await gw.close();
}
console.log(failures ? `${failures} step(s) failed` : 'all steps passed');
process.exit(failures ? 1 : 0);
