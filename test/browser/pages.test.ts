// The people-facing pages and the administration console in a real browser: headless Chromium (Debian's `chromium`,
// installed by scripts/setup.sh) driven by playwright-core. Each step saves screenshots at desktop and phone widths
// (SCREENSHOT_DIR, default a temporary folder) and runs axe-core: no serious or critical accessibility violation.
// Moodle: the in-process simulator (a test double); the MCP client is the SDK's, its OAuth redirect caught in the browser.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SIMULATOR_PASSWORD, simulatorRoles } from '../../runtime/simulator/index.ts';
import { REDIRECT, sdkProvider } from '../auth/oauth-harness.ts';
import { freePort, listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/mcp-client.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'moodle-mcp-screenshots-'));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SITE = 'Northbridge Learning (dev)';

let browser: Browser;
let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let base: string;

/**
 * Screenshots of the page at desktop and phone widths: `<name>-desktop.png`, `<name>-phone.png`; with JavaScript on, also
 * checks that the page fits the phone's width (wide tables scroll inside their own box).
 */
async function shoot(page: Page, name: string, javaScript = true): Promise<void> {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    if (javaScript && width === 'phone')
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width, `${name}: wider than a phone`);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    assert.ok(existsSync(join(SHOTS, `${name}-${width}.png`)));
  }
  await page.setViewportSize(DESKTOP);
}

/** axe-core on the page as it is: no serious or critical violation (WCAG 2.x A/AA rules and best practices). */
async function accessible(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, so the pages' CSP (no script at all) does not block it.
  await page.evaluate(axe.source);
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }))) as axe.AxeResults;
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `${name}: accessibility violations`,
  );
}

async function step(page: Page, name: string): Promise<void> {
  await shoot(page, name);
  await accessible(page, name);
}

/**
 * A fresh browser profile. The pages carry no script (their CSP allows none), so JavaScript changes nothing for them;
 * it stays on where axe-core must run, and one test turns it off altogether.
 */
async function newContext(locale = 'en-US', javaScriptEnabled = true): Promise<BrowserContext> {
  return browser.newContext({ viewport: DESKTOP, locale, acceptDownloads: true, javaScriptEnabled });
}

describe('pages in a real browser (headless Chromium)', { timeout: 120_000 }, () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) assert.fail(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh as root (installs Debian's chromium) or set CHROMIUM_PATH`);
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = testConfig({ mode: 'read-write', server: { port, public_url: base } });
    gw = await startTestGateway(testConfig({ mode: 'read-write', server: { port, public_url: base }, store: { dir: config.store.dir }, audit: { sinks: [{ type: 'file', path: join(config.store.dir, 'audit.jsonl') }] } }));
    server = await listen(gw.gateway, { port });
    // A first call (a demo key, loopback only) lets the gateway learn the site's name and address from site info.
    const demo = await connectClient(base, 'demo-student');
    await demo.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    await demo.close();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gw?.close();
    process.stderr.write(`screenshots: ${SHOTS}\n`);
  });

  it('a person: sign-in → consent → the client works → "My connections" → revoke', async () => {
    const sdk = sdkProvider('Claude Desktop');
    assert.equal(await auth(sdk.provider, { serverUrl: `${base}/mcp` }), 'REDIRECT');
    const context = await newContext();
    const page = await context.newPage();
    let callback: URL | undefined;
    await page.route(`${new URL(REDIRECT).origin}/**`, (route) => {
      callback = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back in the client' });
    });

    await page.goto(sdk.state.url!.toString());
    await page.getByRole('heading', { name: `Sign in with your ${SITE} account` }).waitFor();
    assert.ok(await page.getByText('Claude Desktop wants to use').isVisible());
    assert.ok(await page.getByRole('link', { name: 'http://127.0.0.1:8080' }).isVisible(), 'the page names the site address');
    await step(page, 'signin');

    await page.getByLabel(`${SITE} username`).fill(simulatorRoles.student.username);
    await page.getByLabel('Password', { exact: true }).fill(SIMULATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: `Allow access to ${SITE}?` }).waitFor();
    for (const text of ['Read only', 'See your courses, assignments, forums, grades and calendar', 'Read and change', 'It never sees your password.'])
      assert.ok(await page.getByText(text).first().isVisible(), `consent says: ${text}`);
    await step(page, 'consent');

    await page.getByLabel('Read only').check();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${new URL(REDIRECT).origin}/**`);
    const code = callback?.searchParams.get('code');
    assert.ok(code, 'the browser came back to the client with a code');
    assert.equal(await auth(sdk.provider, { serverUrl: `${base}/mcp`, authorizationCode: code }), 'AUTHORIZED');
    const token = (await sdk.provider.tokens())!.access_token;
    const client = await connectClient(base, token);
    const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((info.structuredContent as { username: string }).username, simulatorRoles.student.username);
    await client.close();

    await page.goto(`${base}/connections`);
    await page.getByLabel(`${SITE} username`).fill(simulatorRoles.student.username);
    await page.getByLabel('Password', { exact: true }).fill(SIMULATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'My Moodle connections' }).waitFor();
    assert.equal(await page.getByRole('row', { name: /Claude Desktop/ }).count(), 1);
    await step(page, 'my-connections');
    await page.getByRole('button', { name: 'Revoke Claude Desktop' }).click();
    await page.getByText('You have no active connections.').waitFor();
    await assert.rejects(connectClient(base, token), 'the revoked token no longer works');
    await context.close();
  });

  it('an administrator: sign-in → create a key → a call with it → its audit record → the CSV → revoke', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin`);
    await page.getByRole('heading', { name: 'Administration console: sign in' }).waitFor();
    await step(page, 'admin-signin');
    await page.getByLabel(`${SITE} username`).fill(simulatorRoles.admin.username);
    await page.getByLabel('Password', { exact: true }).fill(SIMULATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Administration: connections' }).waitFor();

    await page.getByLabel('Name (who or what uses the key)').fill('grading bot');
    await page.getByLabel('Profile').selectOption('default');
    await page.getByLabel('Moodle token of the account the key acts as').fill(simulatorRoles.teacher.token);
    await page.getByRole('button', { name: 'Create the key' }).click();
    const key = (await page.locator('#new-key').textContent())?.trim() ?? '';
    assert.match(key, /^mmcp_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$/);
    await step(page, 'admin-connections');

    const client = await connectClient(base, key);
    await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    await client.close();
    await gw.gateway.audit.flush();

    const id = (await page.getByRole('row', { name: /grading bot/ }).locator('code').textContent())!.trim();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByLabel('Connection id').fill(id);
    await page.getByLabel('Moodle function').fill('core_webservice_get_site_info');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('1 matching record, newest first').waitFor();
    assert.ok(await page.getByRole('cell', { name: 'tools/call' }).isVisible());
    await step(page, 'admin-audit');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^timestamp,event,/);
    assert.match(csv, new RegExp(`tools/call,[^\\r]*${id}`));
    assert.equal(csv.includes(key), false, 'the key is not in the audit trail');

    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByLabel('Moodle function').fill('core_user_delete_users');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByText('Refused', { exact: true }).waitFor();
    assert.ok(await page.getByText("function core_user_delete_users is denied by pattern 'core_user_delete_users'").isVisible());
    await step(page, 'admin-policy');
    await page.getByRole('link', { name: 'Health' }).click();
    await page.getByRole('rowheader', { name: 'Rate limits' }).waitFor();
    await step(page, 'admin-health');

    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'Revoke grading bot' }).click();
    await page.getByText('Revoked: grading bot.').waitFor();
    await assert.rejects(connectClient(base, key), 'the revoked key no longer works');
    const audited = await gw.audited();
    assert.ok(audited.some((r) => r.event === 'auth.key.created' && r.connection_id === id && /admin console/.test(r.detail ?? '')));
    assert.ok(audited.some((r) => r.event === 'auth.key.revoked' && r.connection_id === id && /admin console/.test(r.detail ?? '')));
    await context.close();
  });

  it('a person who is not a site administrator is refused at the console', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/login`);
    await page.getByLabel(`${SITE} username`).fill(simulatorRoles.teacher.username);
    await page.getByLabel('Password', { exact: true }).fill(SIMULATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText(/is not a site administrator/).waitFor();
    await step(page, 'admin-refused');
    await page.goto(`${base}/admin`);
    await page.getByRole('heading', { name: 'Administration console: sign in' }).waitFor();
    await context.close();
  });

  it("speaks the browser's language, and the switcher changes it (JavaScript off)", async () => {
    const context = await newContext('pt-BR', false);
    const page = await context.newPage();
    await page.goto(`${base}/connections`);
    await page.getByRole('heading', { name: 'Minhas conexões: entre com o Moodle' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    await shoot(page, 'my-connections-signin-pt-BR', false);
    for (const [name, heading] of [['Español', 'Mis conexiones: inicie sesión con Moodle'], ['Français', 'Mes connexions : connectez-vous avec Moodle'], ['Deutsch', 'Meine Verbindungen: mit Moodle anmelden']]) {
      await page.getByRole('link', { name }).click();
      await page.getByRole('heading', { name: heading }).waitFor();
    }
    await page.goto(`${base}/admin/login`);
    await page.getByRole('heading', { name: 'Administrationskonsole: Anmeldung' }).waitFor();
    await context.close();
  });
});
