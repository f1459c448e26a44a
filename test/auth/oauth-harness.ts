// A gateway-like server for OAuth tests: srvx on a loopback port serving createOAuth().handle and a /mcp endpoint
// that authenticates like the gateway (401/403 with WWW-Authenticate), plus a cookie-keeping "browser".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { serve } from 'srvx';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { AuthError } from '../../runtime/auth/errors.ts';
import { createOAuth, type OAuth, type OAuthOptions } from '../../runtime/auth/oauth/index.ts';
import { requireScope } from '../../runtime/auth/scopes.ts';
import { FileStore, type AuthStore } from '../../runtime/auth/store/index.ts';
import { fakeMoodle, testKeyring } from './helpers.ts';
import { auth, type AuthResult, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export interface Harness {
  base: string;
  oauth: OAuth;
  store: AuthStore;
  moodle: ReturnType<typeof fakeMoodle>;
  audit: AuditRecord[];
  close(): Promise<void>;
}

export async function startHarness(over: Partial<OAuthOptions> = {}, store?: AuthStore): Promise<Harness> {
  let handler: (request: Request) => Promise<Response> = async () => new Response('starting', { status: 503 });
  const server = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1', silent: true });
  await server.ready();
  const base = new URL(server.url!).origin;
  const s = store ?? new FileStore(mkdtempSync(join(tmpdir(), 'mmcp-oauth-')));
  await s.migrate();
  const moodle = fakeMoodle();
  const audit: AuditRecord[] = [];
  const oauth = await createOAuth({
    issuer: base,
    store: s,
    keyring: testKeyring(),
    moodle,
    service: 'mcp',
    profile: 'default',
    profiles: { default: { scopes: ['api.read', 'api.write'] }, ro: { scopes: ['api.read'] } },
    accessTokenTtl: 600,
    refreshTokenTtl: 3600,
    allowSiteAdmin: false,
    audit: (r) => audit.push(r),
    ...over,
  });
  handler = async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/mcp') {
      // What the gateway does: authenticate, then require api.write for a write call.
      try {
        const connection = await oauth.authenticate(request);
        if (url.searchParams.get('write') === '1') requireScope(connection, 'api.write');
        return Response.json({ id: connection.id, user: connection.moodleUser?.username, scopes: connection.scopes, tokenLength: connection.moodleToken.length });
      } catch (error) {
        if (error instanceof AuthError) return oauth.errorResponse(error);
        throw error;
      }
    }
    return (await oauth.handle(request, (request as Request & { ip?: string }).ip)) ?? new Response('not found', { status: 404 });
  };
  return { base, oauth, store: s, moodle, audit, close: async () => { await server.close(true); await s.close(); } };
}

/** A minimal browser: keeps cookies (ignoring paths), never follows redirects by itself. */
export class Browser {
  cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim())) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects within `base` until a page or a redirect elsewhere (the client's redirect URI). */
  async follow(url: string, base: string, init: RequestInit = {}): Promise<Response> {
    let response = await this.fetch(url, init);
    for (let hops = 0; hops < 10 && [302, 303].includes(response.status); hops++) {
      const next = new URL(response.headers.get('location')!, url).toString();
      if (!next.startsWith(base)) return response;
      url = next;
      response = await this.fetch(url);
    }
    return response;
  }

  form(url: string, fields: Record<string, string>): Promise<Response> {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
}

export function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page`);
  return m[1];
}

export function formAction(html: string, suffix: string): string {
  const m = new RegExp(`action="([^"]*${suffix})"`).exec(html);
  if (!m) throw new Error(`no form posting to …${suffix}`);
  return m[1];
}

// ---- an MCP client's side of the flow (oauth4webapi) -------------------------------------------------

export const insecure = { [oauth.allowInsecureRequests]: true } as const;
export const REDIRECT = 'http://127.0.0.1:9/callback';

export interface Session {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
}

/** Discovery as an MCP client does it: protected resource metadata first, then the authorization server's. */
export async function discover(h: Harness): Promise<Session & { resource: string }> {
  const prm = await (await fetch(`${h.base}/.well-known/oauth-protected-resource/mcp`)).json();
  const issuer = new URL(prm.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const client = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', client_name: 'Test <MCP> Client', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }, insecure),
  );
  return { as, client: client as oauth.Client, resource: prm.resource };
}

/** Authorization request → sign-in → consent; returns the browser's final response (a redirect to the client, or a page). */
export async function authorize(
  h: Harness,
  s: Session,
  o: { verifier?: string; scope?: string; resource?: string; redirectUri?: string; username?: string; password?: string; access?: 'read' | 'write'; pasteToken?: string; browser?: Browser } = {},
) {
  const verifier = o.verifier ?? oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(s.as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: s.client.client_id, redirect_uri: o.redirectUri ?? REDIRECT, response_type: 'code', scope: o.scope ?? 'api.read api.write',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, resource: o.resource ?? `${h.base}/mcp`,
  }).toString();
  const browser = o.browser ?? new Browser();
  const signIn = await browser.follow(url.toString(), h.base);
  if (signIn.status !== 200) return { response: signIn, verifier, state, browser, page: await signIn.text() };
  const html = await signIn.text();
  const csrf = field(html, 'csrf');
  const afterSignIn = o.pasteToken
    ? await browser.form(new URL(formAction(html, '/token'), h.base).toString(), { csrf, token: o.pasteToken })
    : await browser.form(new URL(formAction(html, '/login'), h.base).toString(), { csrf, username: o.username ?? 'student1', password: o.password ?? 'Student-pass-1!' });
  const consentHtml = await afterSignIn.text();
  if (afterSignIn.status !== 200) return { response: afterSignIn, verifier, state, browser, page: consentHtml };
  const consent = await browser.form(new URL(formAction(consentHtml, '/consent'), h.base).toString(), { csrf, decision: 'allow', access: o.access ?? 'write' });
  const final = await browser.follow(new URL(consent.headers.get('location')!, h.base).toString(), h.base);
  return { response: final, verifier, state, browser, page: consentHtml };
}

export async function tokens(h: Harness, s: Session, a: Awaited<ReturnType<typeof authorize>>) {
  const params = oauth.validateAuthResponse(s.as, s.client, new URL(a.response.headers.get('location')!), a.state);
  const response = await oauth.authorizationCodeGrantRequest(s.as, s.client, oauth.None(), params, REDIRECT, a.verifier, { ...insecure, additionalParameters: { resource: `${h.base}/mcp` } });
  return { params, result: await oauth.processAuthorizationCodeResponse(s.as, s.client, response) };
}

export function mcp(h: Harness, token?: string, write = false) {
  return fetch(`${h.base}/mcp${write ? '?write=1' : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}


/** An in-memory OAuthClientProvider for the MCP SDK's client-side auth; `state.url` is where it sends the person. */
export function sdkProvider(clientName = 'SDK test client') {
  const state: { info?: OAuthClientInformationMixed; tokens?: OAuthTokens; verifier?: string; url?: URL } = {};
  const provider: OAuthClientProvider = {
    get redirectUrl() {
      return REDIRECT;
    },
    get clientMetadata() {
      return { redirect_uris: [REDIRECT], client_name: clientName, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
    },
    clientInformation: () => state.info,
    saveClientInformation: (i) => void (state.info = i),
    tokens: () => state.tokens,
    saveTokens: (t) => void (state.tokens = t),
    redirectToAuthorization: (url) => void (state.url = url),
    saveCodeVerifier: (v) => void (state.verifier = v),
    codeVerifier: () => state.verifier!,
  };
  return { provider, state };
}

export type Sdk = ReturnType<typeof sdkProvider>;

/**
 * The SDK's first auth() against `<base>/mcp` and the sign-in page it sends the person to: `started` is what auth()
 * answered; the rest is there when it was 'REDIRECT' (the browser, the page, its CSRF token and login form URL).
 */
export async function sdkSignInPage(base: string, sdk: Sdk) {
  const started = await auth(sdk.provider, { serverUrl: `${base}/mcp` });
  if (started !== 'REDIRECT' || !sdk.state.url) return { started };
  const browser = new Browser();
  const html = await (await browser.follow(sdk.state.url.toString(), base)).text();
  return { started, browser, html, csrf: field(html, 'csrf'), loginUrl: new URL(formAction(html, '/login'), base).toString() };
}

/**
 * The SDK's sign-in as a person does it in a browser: auth() → sign-in page → Moodle username and password → consent
 * to `access` → the code back to auth(). Returns what auth() answered first (`started`) and with the code (`finished`,
 * absent when sign-in did not reach consent), and the sign-in step's answer (`signIn`: the consent page when it is 200).
 */
export async function sdkSignIn(base: string, sdk: Sdk, o: { username: string; password: string; access: 'read' | 'write' }) {
  const page = await sdkSignInPage(base, sdk);
  if (!page.browser) return { started: page.started };
  const { browser, csrf } = page;
  const consent = await browser.form(page.loginUrl, { csrf, username: o.username, password: o.password });
  const signIn = { status: consent.status, html: await consent.text() };
  if (consent.status !== 200) return { started: page.started, signIn };
  const done = await browser.form(new URL(formAction(signIn.html, '/consent'), base).toString(), { csrf, decision: 'allow', access: o.access });
  const back = await browser.follow(new URL(done.headers.get('location')!, base).toString(), base);
  const code = new URL(back.headers.get('location')!).searchParams.get('code')!;
  const finished: AuthResult = await auth(sdk.provider, { serverUrl: `${base}/mcp`, authorizationCode: code });
  return { started: page.started, signIn, finished };
}
