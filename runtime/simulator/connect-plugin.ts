/**
 * local_moodlemcp's connect flow as the protocol (README "Sign in with Moodle") fixes it, in the simulator (a TEST
 * DOUBLE, not the plugin): `connectinfo.php`, `connect.php` (a plain login form for the simulator's users, then a
 * confirm page), `redeem.php` and `revoke.php`, with JSON errors. Each connection gets a new token of its own that the
 * simulator's REST accepts; deleting it (Security keys, Manage tokens) is `deleteToken`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { escapeHtml } from '../shared/escape-html.ts';
import { SIMULATOR_PASSWORD, SIMULATOR_SERVICE } from './data.ts';
import type { SimUser, World } from './world.ts';

export interface ConnectPluginOptions {
  /** The plugin's connectsecret (at least 32 characters). */
  secret: string;
  /** connectreturnurls: exact matches. */
  returnUrls: string[];
  /** False: the flow is off (connectinfo says so, connect.php redirects `unavailable`, redeem answers invalid_client). */
  enabled?: boolean;
  /** Usernames without local/moodlemcp:connect (connect.php redirects `nopermission`). */
  denied?: string[];
  /** connectmaxdays (default 90; 0 = no cap). */
  maxDays?: number;
}

export interface SimConnectPlugin {
  /** Answers `/local/moodlemcp/*.php`; undefined for other paths. */
  handle(request: Request, url: URL): Promise<Response | undefined>;
  /** The live tokens the plugin issued, with their owners. */
  tokens(): { token: string; username: string; validuntil: number }[];
  /** Deletes a plugin-issued token as a person (Security keys) or an administrator would; false when unknown. */
  deleteToken(token: string): boolean;
  /** Changes the settings (e.g. switch the flow off). */
  configure(change: Partial<ConnectPluginOptions>): void;
}

const CODE_TTL_MS = 120_000;
const SESSION_COOKIE = 'MoodleSimSession';

interface IssuedCode {
  userid: number;
  token: string;
  challenge: string;
  returnTo: string;
  expires: number;
  used: boolean;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
const page = (title: string, body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} (Moodle simulator)</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
const sha256 = (text: string) => createHash('sha256').update(text).digest();
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

function cookieOf(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The connect.php parameters, or why they are refused (an error page, never a redirect). */
function connectParams(q: URLSearchParams, returnUrls: string[]): { error: string } | { returnTo: string; state: string; challenge: string; client: string; gateway: string; validUntil: number } {
  const returnTo = q.get('return_to') ?? '';
  const state = q.get('state') ?? '';
  const challenge = q.get('code_challenge') ?? '';
  const client = q.get('client') ?? '';
  const gateway = q.get('gateway') ?? '';
  const validUntil = q.get('valid_until') ?? '0';
  if (!returnUrls.includes(returnTo)) return { error: 'return_to is not one of the allowed gateway return URLs (connectreturnurls)' };
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) return { error: 'state: 16 to 128 characters A-Z a-z 0-9 _ -' };
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return { error: 'code_challenge: base64url SHA-256, 43 characters' };
  if (q.get('code_challenge_method') !== 'S256') return { error: 'code_challenge_method must be S256' };
  if (!client || [...client].length > 100 || !gateway || [...gateway].length > 100) return { error: 'client and gateway: 1 to 100 characters' };
  if (!/^\d{1,12}$/.test(validUntil)) return { error: 'valid_until: unix seconds (0 = none)' };
  return { returnTo, state, challenge, client, gateway, validUntil: Number(validUntil) };
}

function withQuery(url: string, params: Record<string, string>): string {
  return `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(params)}`;
}

export function createConnectPlugin(world: World, initial: ConnectPluginOptions): SimConnectPlugin {
  const settings: ConnectPluginOptions = { ...initial };
  const sessions = new Map<string, { user: SimUser; sesskey: string }>();
  const codes = new Map<string, IssuedCode>(); // by hex sha256 of the code
  const issued = new Map<string, { user: SimUser; validuntil: number }>(); // the plugin's table

  const enabled = () => settings.enabled !== false && settings.secret.length >= 32 && settings.returnUrls.length > 0;
  const deleteToken = (token: string) => {
    const known = issued.delete(token);
    world.deleteToken(token);
    return known;
  };
  const redirect = (location: string, headers: Record<string, string> = {}) => new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });

  function loginForm(action: string, error = '') {
    return page(
      'Log in to the site',
      `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="action" value="login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" id="loginbtn">Log in</button></form>`,
      error ? 401 : 200,
    );
  }

  async function connect(request: Request, url: URL): Promise<Response> {
    const p = connectParams(url.searchParams, settings.returnUrls);
    if ('error' in p) return page('Error', `<p>${escapeHtml(p.error)}</p>`, 400);
    const action = `${url.pathname}${url.search}`;
    const session = sessions.get(cookieOf(request, SESSION_COOKIE) ?? '');
    const back = (params: Record<string, string>) => redirect(withQuery(p.returnTo, { ...params, state: p.state }));
    const form = request.method === 'POST' ? new URLSearchParams(await request.text()) : undefined;

    if (form?.get('action') === 'login') {
      const user = world.userByName((form.get('username') ?? '').trim().toLowerCase());
      if (!user || form.get('password') !== SIMULATOR_PASSWORD) return loginForm(action, 'Invalid login, please try again');
      const sid = randomBytes(16).toString('hex');
      sessions.set(sid, { user, sesskey: randomBytes(8).toString('hex') });
      return redirect(action, { 'set-cookie': `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (!session) return loginForm(action); // require_login()
    const { user } = session;
    // The plugin's order (protocol-18-changes.md): flow enabled, site administrator, capability.
    if (!enabled()) return back({ error: 'unavailable', error_description: 'The connect flow is not enabled on this site' });
    if (user.isAdmin) return back({ error: 'siteadmin', error_description: 'Site administrators cannot connect MCP clients' });
    if (settings.denied?.includes(user.username)) return back({ error: 'nopermission', error_description: 'Missing capability local/moodlemcp:connect' });

    if (!form)
      return page(
        'Connect an application',
        `<p>${escapeHtml(p.client)} through ${escapeHtml(p.gateway)} will use Moodle as you (${escapeHtml(user.fullname)}).</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="sesskey" value="${session.sesskey}">
<button type="submit" name="action" value="connect" id="connect">Connect</button> <button type="submit" name="action" value="cancel" id="cancel">Cancel</button></form>`,
      );
    if (form.get('sesskey') !== session.sesskey) return page('Error', '<p>Invalid sesskey</p>', 403);
    if (form.get('action') === 'cancel') return back({ error: 'access_denied', error_description: 'The person cancelled' });
    if (form.get('action') !== 'connect') return page('Error', '<p>Unknown action</p>', 400);

    const now = Math.floor(Date.now() / 1000);
    const maxDays = settings.maxDays ?? 90;
    const caps = [p.validUntil || Infinity, maxDays > 0 ? now + maxDays * 86400 : Infinity];
    const validuntil = Math.min(...caps) === Infinity ? 0 : Math.min(...caps);
    const token = world.issueToken(user);
    issued.set(token, { user, validuntil });
    const code = randomBytes(32).toString('base64url');
    codes.set(sha256(code).toString('hex'), { userid: user.id, token, challenge: p.challenge, returnTo: p.returnTo, expires: Date.now() + CODE_TTL_MS, used: false });
    return back({ code });
  }

  async function redeem(request: Request): Promise<Response> {
    if (request.method !== 'POST') return json({ error: 'invalid_request', error_description: 'POST only' }, 405);
    const form = new URLSearchParams(await request.text());
    const secret = form.get('secret') ?? '';
    if (!enabled() || !same(sha256(secret), sha256(settings.secret)) || !secret) return json({ error: 'invalid_client', error_description: 'Wrong or missing secret, or the connect flow is not enabled' }, 401);
    const missing = ['code', 'code_verifier', 'redirect_uri'].find((f) => !form.get(f));
    if (missing) return json({ error: 'invalid_request', error_description: `Missing field: ${missing}` }, 400);
    const verifier = form.get('code_verifier')!;
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return json({ error: 'invalid_request', error_description: 'code_verifier: 43 to 128 characters A-Z a-z 0-9 . _ ~ -' }, 400);
    const key = sha256(form.get('code')!).toString('hex');
    const issuedCode = codes.get(key);
    const refuse = (why: string) => json({ error: 'invalid_grant', error_description: why }, 400);
    if (!issuedCode) return refuse('Unknown code');
    if (issuedCode.used) {
      deleteToken(issuedCode.token); // code replay => revoke
      return refuse('Code already used: its token was deleted');
    }
    issuedCode.used = true;
    if (issuedCode.expires < Date.now()) {
      deleteToken(issuedCode.token);
      return refuse('Code expired');
    }
    if (!same(Buffer.from(sha256(verifier).toString('base64url')), Buffer.from(issuedCode.challenge))) {
      deleteToken(issuedCode.token);
      return refuse('code_verifier does not match the code_challenge');
    }
    if (form.get('redirect_uri') !== issuedCode.returnTo) {
      deleteToken(issuedCode.token);
      return refuse('redirect_uri does not match return_to');
    }
    const live = issued.get(issuedCode.token);
    if (!live) return refuse('The token of this code is gone');
    return json({ token: issuedCode.token, userid: issuedCode.userid, validuntil: live.validuntil, service: SIMULATOR_SERVICE });
  }

  async function revoke(request: Request): Promise<Response> {
    if (request.method !== 'POST') return json({ error: 'invalid_request', error_description: 'POST only' }, 405);
    const token = new URLSearchParams(await request.text()).get('token');
    if (!token) return json({ error: 'invalid_request', error_description: 'Missing field: token' }, 400);
    return json({ revoked: deleteToken(token) });
  }

  return {
    async handle(request, url) {
      const script = /\/local\/moodlemcp\/([a-z]+\.php)$/.exec(url.pathname)?.[1];
      if (script === 'connectinfo.php') return json({ component: 'local_moodlemcp', release: 'simulator', connect: { enabled: enabled() } });
      if (script === 'connect.php') return connect(request, url);
      if (script === 'redeem.php') return redeem(request);
      if (script === 'revoke.php') return revoke(request);
      return undefined;
    },
    tokens: () => [...issued].map(([token, { user, validuntil }]) => ({ token, username: user.username, validuntil })),
    deleteToken,
    configure: (change) => void Object.assign(settings, change),
  };
}
