import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditRecord } from '../../audit/types.ts';
import type { Keyring } from '../crypto.ts';
import { authErrorResponse } from '../challenge.ts';
import { AuthError } from '../errors.ts';
import { parseBearer } from '../bearer.ts';
import { openConnection, touchLastUsed, type ProfileScopes } from '../keys.ts';
import { ALL_SCOPES, normaliseScopes } from '../scopes.ts';
import type { AuthStore } from '../store/types.ts';
import type { Connection, Scope } from '../types.ts';
import type { OAuthContext, OAuthMoodle } from './context.ts';
import { jsonResponse } from './http.ts';
import { finishInteractionSignIn, handleInteraction } from './interactions.ts';
import { finishConnectionsSignIn, handleConnectionsPage } from './manage.ts';
import { CALLBACK_PATH, clearStateCookie, completeMoodleSignIn, offerCheck } from './moodle-signin.ts';
import { pageContextOf } from './context.ts';
import { htmlResponse } from './http.ts';
import { messagePage } from './pages.ts';
import { revokeConnection, type RevokeDeps } from '../revoke.ts';
import type { MoodleConnect } from '../../moodle/connect.ts';
import { runNodeHandler } from './node-bridge.ts';
import { cookieNames, createProvider, derivedKey, ROUTES } from './provider.ts';
import { SignInThrottle } from './throttle.ts';
import { isLoopbackHostname } from '../../http/guards.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { checkedAddresses, createMetadataFetch, FetchRateLimit, MetadataFetchError, type MetadataFetchOptions } from './metadata-fetch.ts';
import type { SiteDirectory } from '../../moodle/site-identity.ts';

export type { OAuthMoodle } from './context.ts';

export interface OAuthOptions {
  /** Public base URL of the gateway (origin only), e.g. `https://mcp.example.edu`; the issuer and resource base. */
  issuer: string;
  store: AuthStore;
  keyring: Keyring;
  moodle: OAuthMoodle;
  /** Moodle external service for login/token.php. Default `mcp`. */
  service?: string;
  /** Profile of OAuth connections (config oauth.default_profile) and the profiles' permitted scopes. */
  profile: string;
  profiles: ProfileScopes;
  /** Seconds. */
  accessTokenTtl: number;
  refreshTokenTtl: number;
  allowSiteAdmin: boolean;
  /** False in read-only mode: consent then never offers api.write. Default true. */
  writeAllowed?: boolean;
  /** Failed sign-ins per client IP and per username within 15 minutes before 429. Default 10. */
  signInLimit?: number;
  /** Outgoing HTTP for Client ID Metadata Documents (https client_id URLs). Default: createMetadataFetch(clientMetadata). */
  fetch?: typeof fetch;
  /** Client ID Metadata Document fetches (config oauth.client_metadata); `resolve` and `ca` for tests. */
  clientMetadata?: Pick<MetadataFetchOptions, 'allowPrivate' | 'resolve' | 'ca'> & { fetchesPerMinute?: number };
  /** Security events (sign-in, consent, revocation); never receives passwords or tokens. */
  audit?: (record: AuditRecord) => void;
  /** Operational log (sign-in failures an administrator must fix). */
  log?: Pick<Logger, 'error'>;
  /** The Moodle site's name and address, named on the pages. */
  site?: SiteDirectory;
  /** The local_moodlemcp plugin's connect flow ("Sign in with <site>"); absent or `off`: not offered. */
  moodleConnect?: { connect: MoodleConnect; mode: 'auto' | 'on' | 'off' };
  /** The password form and the token paste (oauth.password_signin). Default true. */
  passwordSignIn?: boolean;
}

export interface OAuth {
  /**
   * Serves `/.well-known/oauth-protected-resource[/mcp]`, `/.well-known/oauth-authorization-server`,
   * `/.well-known/openid-configuration`, `/oauth/*`, `/interaction/*` and `/connections[/*]`; undefined for other paths.
   */
  handle(request: Request, clientIp?: string): Promise<Response | undefined>;
  /** The connection of the request's OAuth access token for `resource` (audience checked); throws AuthError. */
  authenticate(request: Request, resource?: string): Promise<Connection>;
  /** Same for a bare token (for authenticateBearer's `oauth` option); null when the token is unknown. */
  authenticateToken(token: string, resource?: string): Promise<Connection | null>;
  /** A complete 401/403 JSON response for an AuthError. */
  errorResponse(error: AuthError): Response;
  /** `<issuer>/mcp`: the resource identifier tokens must be issued for. */
  readonly resource: string;
  readonly resourceMetadataUrl: string;
  /** The scope a 401 challenge asks for (the OAuth profile's scopes). */
  readonly scope: string;
  readonly provider: Provider;
}

/**
 * Registration metadata may carry `scope` (the MCP SDK copies the resource's scopes_supported there); oidc-provider
 * only knows OpenID scopes at the client level (resource scopes come from the resource server), so resource scopes are
 * dropped from the registration request (RFC 7591 lets the server replace requested metadata).
 */
function withoutResourceScopes(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (body && typeof body === 'object' && typeof (body as { scope?: unknown }).scope === 'string') {
    const kept = (body as { scope: string }).scope.split(' ').filter((s) => s && !(ALL_SCOPES as readonly string[]).includes(s));
    if (kept.length) (body as { scope: string }).scope = kept.join(' ');
    else delete (body as { scope?: string }).scope;
  }
  return JSON.stringify(body);
}

/** The OAuth 2.1 authorization server and resource-server checks for MCP (2025-11-25 authorization spec). */
export async function createOAuth(options: OAuthOptions): Promise<OAuth> {
  const base = new URL(options.issuer);
  if (base.pathname !== '/' || base.search || base.hash) throw new AuthError('config', `server.public_url must be an origin without a path (got ${options.issuer})`);
  if (base.protocol !== 'https:' && !isLoopbackHostname(base.hostname))
    throw new AuthError('config', `server.public_url must use https except on loopback (got ${options.issuer})`);
  const issuer = base.origin;
  const resourcePath = '/mcp';
  const resource = `${issuer}${resourcePath}`;
  const resources = [resource, issuer];
  const profile = options.profiles[options.profile];
  if (!profile) throw new AuthError('config', `oauth.default_profile: unknown profile "${options.profile}"`);
  const secure = base.protocol === 'https:';
  const audit = (rec: Omit<AuditRecord, 'timestamp'>) => options.audit?.({ timestamp: new Date().toISOString(), ...rec } as AuditRecord);

  // A rotated refresh token (rotations ≥ 1) is saved before the token response leaves: the refresh is audited then.
  const onRefreshTokenRotated = async (grantId: string) => {
    const c = await options.store.findConnectionByGrantId(grantId);
    if (c) audit({ event: 'auth.token.refreshed', connection_id: c.id, client_id: c.client?.id, client_name: c.client?.name, moodle_user_id: c.moodleUser?.id, moodle_username: c.moodleUser?.username, auth_method: 'oauth', status: 200 });
  };
  const revoke: RevokeDeps = { store: options.store, keyring: options.keyring, revokeInMoodle: options.moodleConnect && ((token) => options.moodleConnect!.connect.revoke(token)), audit };
  // RFC 7009 revocation, refresh-token or code reuse: the grant ends, and a token the plugin issued for it in Moodle.
  const onGrantRevoked = async (grantId: string) => {
    const record = await options.store.findConnectionByGrantId(grantId);
    if (record) await revokeConnection(revoke, record.id, { detail: 'grant revoked' });
  };
  // Client ID Metadata Documents: the client_id URL is chosen by an anonymous caller, so before any fetch its host
  // must resolve to public addresses only (checked again, and pinned, by the fetch itself) and the rate allows it.
  const metadata = options.clientMetadata ?? {};
  const fetchLimit = new FetchRateLimit(metadata.fetchesPerMinute ?? 30);
  const requestInfo = new AsyncLocalStorage<{ clientIp?: string; userAgent?: string; decided: Map<string, Promise<boolean>> }>();
  // oidc-provider may look a client up more than once per request: decide (and count, and audit) once per request.
  const allowMetadataFetch = (clientId: string): Promise<boolean> => {
    const decided = requestInfo.getStore()?.decided;
    let decision = decided?.get(clientId);
    if (!decision) {
      decision = decideMetadataFetch(clientId);
      decided?.set(clientId, decision);
    }
    return decision;
  };
  const decideMetadataFetch = async (clientId: string): Promise<boolean> => {
    const refuse = (reason: string) => {
      const info = requestInfo.getStore();
      audit({ event: 'auth.client_metadata.refused', client_id: clientId.slice(0, 512), client_ip: info?.clientIp, user_agent: info?.userAgent, decision: 'denied', status: 400, reasons: [reason] });
      return false;
    };
    const url = URL.parse(clientId);
    if (!url) return refuse('client_id is not a URL');
    try {
      await checkedAddresses(url.hostname, metadata);
    } catch (error) {
      if (error instanceof MetadataFetchError) return refuse(error.message);
      throw error;
    }
    return fetchLimit.take() || refuse(`more than ${metadata.fetchesPerMinute ?? 30} client_id metadata document fetches in a minute (oauth.client_metadata.fetches_per_minute)`);
  };
  const provider = await createProvider({
    issuer, resources, store: options.store, keyring: options.keyring, accessTokenTtl: options.accessTokenTtl,
    refreshTokenTtl: options.refreshTokenTtl, secureCookies: secure, onGrantRevoked, onRefreshTokenRotated,
    fetch: options.fetch ?? createMetadataFetch(metadata), allowMetadataFetch,
  });
  provider.on('server_error', () => undefined); // surfaced as 500 responses; never logged with request data here
  const forwarded = { proto: base.protocol.slice(0, -1), host: base.host };
  const ctx: OAuthContext = {
    provider, store: options.store, keyring: options.keyring, moodle: options.moodle, service: options.service ?? 'mcp',
    profile: options.profile, profileScopes: profile.scopes, writeAllowed: options.writeAllowed ?? true,
    allowSiteAdmin: options.allowSiteAdmin, refreshTokenTtl: options.refreshTokenTtl, resources, forwarded, secure,
    manageKey: derivedKey(options.keyring, 'manage'), names: cookieNames(secure), audit, throttle: new SignInThrottle(options.signInLimit ?? 10), log: options.log, site: options.site,
    passwordSignIn: options.passwordSignIn ?? true, revoke, issuer,
    moodleSignIn: options.moodleConnect && options.moodleConnect.mode !== 'off'
      ? { connect: options.moodleConnect.connect, mode: options.moodleConnect.mode, offered: offerCheck(options.moodleConnect.connect, options.moodleConnect.mode), gatewayName: `moodle-mcp (${base.host})` }
      : undefined,
  };
  const callback = provider.callback() as Parameters<typeof runNodeHandler>[0];
  const resourceMetadataUrl = `${issuer}/.well-known/oauth-protected-resource${resourcePath}`;
  const defaultScope = normaliseScopes(profile.scopes.filter((s): s is Scope => (ALL_SCOPES as readonly string[]).includes(s))).join(' ');

  function protectedResourceMetadata(id: string) {
    return {
      resource: id,
      authorization_servers: [issuer],
      scopes_supported: [...ALL_SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'Moodle MCP gateway',
    };
  }

  async function discovery(request: Request): Promise<Response> {
    const response = await runNodeHandler(callback, request, { forwarded, path: '/.well-known/openid-configuration' });
    if (response.status !== 200) return response;
    const doc = (await response.json()) as Record<string, unknown>;
    doc.scopes_supported = [...new Set([...((doc.scopes_supported as string[]) ?? []), ...ALL_SCOPES])];
    return jsonResponse(doc);
  }

  function handle(request: Request, clientIp?: string): Promise<Response | undefined> {
    return requestInfo.run({ clientIp, userAgent: request.headers.get('user-agent') ?? undefined, decided: new Map() }, () => route(request, clientIp));
  }

  async function route(request: Request, clientIp?: string): Promise<Response | undefined> {
    const path = new URL(request.url).pathname;
    if (path === '/.well-known/oauth-protected-resource' || path === `/.well-known/oauth-protected-resource${resourcePath}`) {
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET', 'access-control-allow-headers': '*' } });
      return jsonResponse(protectedResourceMetadata(path === '/.well-known/oauth-protected-resource' ? issuer : resource));
    }
    if ((path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') && request.method === 'GET') return discovery(request);
    if (path === ROUTES.registration && request.method === 'POST') return runNodeHandler(callback, request, { forwarded, rewriteBody: withoutResourceScopes });
    if (path === CALLBACK_PATH && ctx.moodleSignIn) return moodleCallback(request, clientIp);
    if (path.startsWith('/oauth/') || path === '/.well-known/openid-configuration') return runNodeHandler(callback, request, { forwarded });
    const interaction = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|token|consent|moodle|signed-in))?$/.exec(path);
    if (interaction) return handleInteraction(ctx, request, interaction[1], interaction[2] ?? '', clientIp);
    const manage = /^\/connections(?:\/(login|token|revoke|logout|moodle))?$/.exec(path);
    if (manage) return handleConnectionsPage(ctx, request, manage[1] ?? '', clientIp);
    return undefined;
  }

  // Moodle's redirect back: the interaction (or connections page) that started the sign-in takes over; failures are
  // a page with the person's message and a way back.
  async function moodleCallback(request: Request, clientIp?: string): Promise<Response> {
    const { pc, langCookie } = pageContextOf(ctx, request);
    if (request.method !== 'GET') return htmlResponse(messagePage(pc, pc.t('page.notAllowedTitle'), pc.t('page.notAllowed')), { status: 405 });
    const result = await completeMoodleSignIn(ctx, request, clientIp);
    const clear = clearStateCookie(ctx);
    if (result.error === undefined) {
      const response = result.started.purpose === 'connections' ? await finishConnectionsSignIn(ctx, result) : await finishInteractionSignIn(ctx, result);
      response.headers.append('set-cookie', clear);
      return response;
    }
    const back = result.started?.purpose === 'connections' ? '/connections' : result.started?.uid ? `/interaction/${encodeURIComponent(result.started.uid)}` : undefined;
    return htmlResponse(messagePage(pc, pc.t('signin.errorTitle'), pc.t(result.error.key, result.error.values), back ? { href: back, text: pc.t('common.back') } : undefined), {
      status: result.status,
      setCookie: [clear, langCookie],
    });
  }

  async function authenticateToken(token: string, wanted = resource): Promise<Connection | null> {
    const at = await provider.AccessToken.find(token);
    if (!at || at.isExpired) return null;
    const audiences = (Array.isArray(at.aud) ? at.aud : [at.aud]).filter((a): a is string => typeof a === 'string');
    const accepted = resources.includes(wanted) ? resources : [wanted];
    if (!audiences.some((a) => accepted.includes(a))) throw new AuthError('invalid_token', `the access token was issued for another resource, not ${wanted}`);
    const record = at.grantId ? await options.store.findConnectionByGrantId(at.grantId) : null;
    const connection = record && openConnection(record, options.keyring);
    if (!record || !connection) throw new AuthError('invalid_token', 'the connection of this access token was revoked or has expired');
    touchLastUsed(options.store, record);
    const granted = new Set((at.scope ?? '').split(' '));
    return { ...connection, scopes: connection.scopes.filter((s) => granted.has(s)), client: { id: at.clientId!, ...(record.client?.name ? { name: record.client.name } : {}) } };
  }

  async function authenticate(request: Request, wanted = resource): Promise<Connection> {
    const token = parseBearer(request.headers.get('authorization'));
    if (!token) throw new AuthError('invalid_token', 'this endpoint needs a bearer token (OAuth sign-in)', { missing: true });
    const connection = await authenticateToken(token, wanted);
    if (!connection) throw new AuthError('invalid_token', 'the access token is unknown, expired or revoked');
    return connection;
  }

  const challenge = { resourceMetadataUrl, scope: defaultScope };
  const errorResponse = (error: AuthError) => authErrorResponse(error, challenge);

  return { handle, authenticate, authenticateToken, errorResponse, resource, resourceMetadataUrl, scope: defaultScope, provider };
}
