// A gateway-like server for OAuth tests: srvx on a loopback port serving createOAuth().handle and a /mcp endpoint
// that authenticates like the gateway (401/403 with WWW-Authenticate), plus a cookie-keeping "browser".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from 'srvx';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { AuthError } from '../../runtime/auth/errors.ts';
import { createOAuth, type OAuth, type OAuthOptions } from '../../runtime/auth/oauth/index.ts';
import { requireScope } from '../../runtime/auth/scopes.ts';
import { FileStore, type AuthStore } from '../../runtime/auth/store/index.ts';
import { fakeMoodle, testKeyring } from './helpers.ts';

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
    return (await oauth.handle(request)) ?? new Response('not found', { status: 404 });
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
