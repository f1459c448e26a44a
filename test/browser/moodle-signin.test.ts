// "Sign in with Moodle" in a real browser (headless Chromium via playwright-core, like pages.test.ts): the gateway and
// the simulator (a test double with local_moodlemcp's connect flow) on loopback ports; the person signs in on the
// simulated Moodle's own login page, confirms, consents; the SDK client then calls a tool with the connection's own
// Moodle token; the person revokes it on "My connections" (signed in through Moodle too) and the token is gone in Moodle.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSimulator, type RunningSimulator } from '../../runtime/simulator/index.ts';
import { REDIRECT, sdkProvider } from '../auth/oauth-harness.ts';
import { freePort, listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient } from '../helpers/mcp-client.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'browser-connect-secret-0123456789abcdef';

let browser: Browser;
let sim: RunningSimulator;
let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let base: string;

async function accessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axe.source);
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }))) as axe.AxeResults;
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help}`), [], `${name}: accessibility violations`);
}

/** The simulated Moodle's login form and confirm page, as a person fills them in. */
async function atMoodle(page: Page, username: string) {
  await page.getByRole('heading', { name: 'Log in to the site' }).waitFor();
  assert.ok(page.url().startsWith(`${sim.url}/local/moodlemcp/connect.php?`), page.url());
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('sim-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Connect an application' }).waitFor();
  await page.getByRole('button', { name: 'Connect' }).click();
}

describe('Sign in with Moodle in a real browser (headless Chromium, simulator)', { timeout: 120_000 }, () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) assert.fail(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh as root (installs Debian's chromium) or set CHROMIUM_PATH`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sim = await startSimulator({ connectPlugin: { secret: SECRET, returnUrls: [`${base}/oauth/moodle/callback`] } });
    const env = { MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'), MOODLE_MCP_CONNECT_SECRET: SECRET };
    gw = await startTestGateway(testConfig({ mode: 'read-write', moodle: { url: sim.url }, server: { port, public_url: base }, oauth: { password_signin: false } }, env), { env });
    server = await listen(gw.gateway, { port });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gw?.close();
    await sim?.close();
  });

  it('sign in on Moodle\'s page → consent → a tool call → revoke on "My connections" → the token is gone in Moodle', async () => {
    const sdk = sdkProvider('Browser assistant');
    assert.equal(await auth(sdk.provider, { serverUrl: `${base}/mcp` }), 'REDIRECT');
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    let callback: URL | undefined;
    await page.route(`${new URL(REDIRECT).origin}/**`, (route) => {
      callback = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back in the client' });
    });

    await page.goto(sdk.state.url!.toString());
    const signIn = page.getByRole('link', { name: /^Sign in with / });
    await signIn.waitFor();
    assert.equal(await page.getByLabel('Password').count(), 0, 'password_signin: false shows no password field');
    await accessible(page, 'sign-in with Moodle');
    await signIn.click();
    await atMoodle(page, 'emma.johansson');

    await page.getByRole('heading', { name: /^Allow access to / }).waitFor();
    await accessible(page, 'consent after Moodle');
    await page.getByLabel('Read only').check();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${new URL(REDIRECT).origin}/**`);
    const code = callback?.searchParams.get('code');
    assert.ok(code);
    assert.equal(await auth(sdk.provider, { serverUrl: `${base}/mcp`, authorizationCode: code }), 'AUTHORIZED');
    const token = (await sdk.provider.tokens())!.access_token;
    const client = await connectClient(base, token);
    const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
    assert.equal((info.structuredContent as { username: string }).username, 'emma.johansson');
    await client.close();
    const issued = sim.simulator.connect!.tokens();
    assert.deepEqual(issued.map((t) => t.username), ['emma.johansson'], 'one Moodle token, for this connection');

    // "My connections": signed in through Moodle as well (the Moodle session is still open: straight to Connect).
    await page.goto(`${base}/connections`);
    await page.getByRole('link', { name: /^Sign in with / }).click();
    await page.getByRole('heading', { name: 'Connect an application' }).waitFor();
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('heading', { name: 'My Moodle connections' }).waitFor();
    assert.ok(await page.getByText('have a Moodle token of their own').isVisible());
    await accessible(page, 'my connections (Moodle sign-in)');
    await page.getByRole('button', { name: 'Revoke Browser assistant' }).click();
    await page.getByText('You have no active connections.').waitFor();
    assert.deepEqual(sim.simulator.connect!.tokens(), [], 'the connection\'s token and the page\'s sign-in token are gone in Moodle');
    await assert.rejects(connectClient(base, token));
    await context.close();
  });
});
