/**
 * Test helpers for "Sign in with Moodle": a gateway (in process, `app.request`) in front of the simulator with
 * local_moodlemcp's connect flow, and a cookie-keeping browser that goes back and forth between the two.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { REDIRECT, type Sdk } from '../auth/oauth-harness.ts';
import { decryptSecret } from '../../runtime/auth/crypto.ts';
import { createSimulator, type ConnectPluginOptions, type Simulator } from '../../runtime/simulator/index.ts';
import { startTestGateway, testConfig, type TestGateway } from './gateway.ts';

export const GATEWAY = 'http://127.0.0.1:3000';
export const MOODLE = 'http://moodle.test';
export const CALLBACK = `${GATEWAY}/oauth/moodle/callback`;
export const CONNECT_SECRET = 'connect-secret-for-tests-0123456789abcdef';

export interface SsoSetup {
  sim: Simulator;
  gw: TestGateway;
  /** fetch for both sides: the gateway through app.request, Moodle through the simulator. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A gateway on MOODLE (the simulator with the connect plugin) with `config` overrides. */
export async function ssoSetup(o: { config?: Record<string, unknown>; plugin?: Partial<ConnectPluginOptions>; env?: NodeJS.ProcessEnv } = {}): Promise<SsoSetup> {
  const sim = createSimulator({ connectPlugin: { secret: CONNECT_SECRET, returnUrls: [CALLBACK], ...o.plugin } });
  const env = { MOODLE_MCP_ENCRYPTION_KEY: randomBytes(32).toString('base64'), MOODLE_MCP_CONNECT_SECRET: CONNECT_SECRET, ...o.env };
  const config = testConfig({ mode: 'read-write', moodle: { url: MOODLE }, server: { public_url: GATEWAY }, ...o.config }, env);
  const gw = await startTestGateway(config, { moodleFetch: (request) => sim.fetch(request), env });
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.url.startsWith(MOODLE)) return sim.fetch(request);
    if (request.url.startsWith(GATEWAY)) return gw.gateway.app.request(request, undefined, { clientIp: '127.0.0.1' });
    throw new TypeError(`fetch failed: ${request.url} is neither the gateway nor Moodle`);
  };
  return { sim, gw, fetch, env, close: () => gw.close() };
}

/** A browser: one cookie jar per origin, redirects followed between the gateway and Moodle only. */
export class SsoBrowser {
  private jars = new Map<string, Map<string, string>>();
  constructor(private readonly send: SsoSetup['fetch'], readonly lang?: string) {}

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    if (this.lang) headers.set('accept-language', this.lang);
    const response = await this.send(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || attrs.some((a) => /max-age=0/i.test(a.trim()))) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** Follows redirects between the gateway and Moodle; stops at a page or a redirect elsewhere (the client). */
  async follow(url: string, init: RequestInit = {}): Promise<{ response: Response; url: string }> {
    let response = await this.fetch(url, init);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location')!, url).toString();
      if (!next.startsWith(GATEWAY) && !next.startsWith(MOODLE)) return { response, url: next };
      url = next;
      response = await this.fetch(url);
    }
    return { response, url };
  }

  post(url: string, fields: Record<string, string>): Promise<{ response: Response; url: string }> {
    return this.follow(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  dropCookies(origin: string): void {
    this.jars.delete(origin);
  }
}

/** The value of `<input name=... value=...>` or the `action` of the form around a named button. */
export function inputValue(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no input ${name} in page: ${html.slice(0, 300)}`);
  return m[1];
}

export function formActionOf(html: string, index = 0): string {
  const all = [...html.matchAll(/<form method="post" action="([^"]*)"/g)];
  if (!all[index]) throw new Error(`no form #${index} in page: ${html.slice(0, 300)}`);
  return all[index][1].replaceAll('&amp;', '&');
}

export function moodleLink(html: string): string | undefined {
  return /<a class="button" id="moodle-signin" href="([^"]*)"/.exec(html)?.[1].replaceAll('&amp;', '&');
}

/**
 * The person's part at Moodle: from the connect.php login form, log in as `username`, then press `button` on the
 * confirm page. Returns where the browser ends (the gateway's answer after the callback, and its HTML) and the confirm page's HTML.
 */
export async function atMoodle(browser: SsoBrowser, loginPage: { response: Response; url: string }, username: string, button: 'connect' | 'cancel' = 'connect') {
  const loginHtml = await loginPage.response.text();
  const action = new URL(formActionOf(loginHtml), loginPage.url).toString();
  const confirm = await browser.post(action, { action: 'login', username, password: 'sim-password' });
  const confirmHtml = await confirm.response.text();
  if (confirm.response.status !== 200 || !confirmHtml.includes('sesskey')) return { end: confirm, endHtml: confirmHtml, html: confirmHtml };
  const end = await browser.post(new URL(formActionOf(confirmHtml), confirm.url).toString(), { sesskey: inputValue(confirmHtml, 'sesskey'), action: button });
  return { end, endHtml: await end.response.text(), html: confirmHtml };
}

/** The SDK's auth() up to the gateway's sign-in page, in a fresh browser. */
export async function signInPage(s: SsoSetup, sdk: Sdk, lang?: string) {
  assert.equal(await auth(sdk.provider, { serverUrl: `${GATEWAY}/mcp`, fetchFn: s.fetch }), 'REDIRECT');
  const browser = new SsoBrowser(s.fetch, lang);
  const page = await browser.follow(sdk.state.url!.toString());
  return { browser, page, html: await page.response.text() };
}

/** From the sign-in page through Moodle to the gateway's consent page (or whatever the callback answered). */
export async function throughMoodle(s: SsoSetup, sdk: Sdk, username: string, o: { button?: 'connect' | 'cancel'; lang?: string } = {}) {
  const { browser, html } = await signInPage(s, sdk, o.lang);
  const link = moodleLink(html);
  assert.ok(link, 'the sign-in page offers "Sign in with <site>"');
  const login = await browser.follow(new URL(link, GATEWAY).toString());
  assert.ok(login.url.startsWith(`${MOODLE}/local/moodlemcp/connect.php?`), login.url);
  const { end, endHtml } = await atMoodle(browser, login, username, o.button);
  return { browser, end, html: endHtml };
}

/** Consent (read+write) and the code back to the SDK: the client then holds its OAuth tokens. */
export async function consent(s: SsoSetup, sdk: Sdk, browser: SsoBrowser, consentHtml: string) {
  const done = await browser.post(new URL(formActionOf(consentHtml), GATEWAY).toString(), { csrf: inputValue(consentHtml, 'csrf'), decision: 'allow', access: 'write' });
  assert.ok(done.url.startsWith(REDIRECT), done.url);
  const code = new URL(done.url).searchParams.get('code')!;
  assert.equal(await auth(sdk.provider, { serverUrl: `${GATEWAY}/mcp`, authorizationCode: code, fetchFn: s.fetch }), 'AUTHORIZED');
}

export async function mcpClient(s: SsoSetup, accessToken: string): Promise<Client> {
  const client = new Client({ name: 'sso test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${GATEWAY}/mcp`), { fetch: s.fetch, requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  return client;
}

/** The whole sign-in through Moodle for `username` with a new SDK client: its tokens and the stored connection. */
export async function connectThroughMoodle(s: SsoSetup, sdk: Sdk, username: string) {
  const { browser, end, html } = await throughMoodle(s, sdk, username);
  assert.equal(end.response.status, 200, html.slice(0, 400));
  await consent(s, sdk, browser, html);
  const record = (await s.gw.gateway.auth!.store.listConnections({ kind: 'oauth' })).at(-1)!;
  const moodleToken = decryptSecret(s.gw.gateway.auth!.keyring, record.moodleTokenEnc!, record.id);
  return { record, accessToken: sdk.state.tokens!.access_token, refreshToken: sdk.state.tokens!.refresh_token, moodleToken };
}
