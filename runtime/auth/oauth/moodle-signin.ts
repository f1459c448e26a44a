import { createHash } from 'node:crypto';
import { MoodleError } from '../../moodle/errors.ts';
import type { MoodleConnect } from '../../moodle/connect.ts';
import { digestEquals, randomToken } from '../crypto.ts';
import { checkMoodleToken } from '../moodle-user.ts';
import type { MoodleUser } from '../types.ts';
import { signInFailure, type OAuthContext, type PageMessage } from './context.ts';
import { cookieHeader, readCookie, redirectResponse } from './http.ts';

/**
 * "Sign in with <site>": the gateway's side of the local_moodlemcp connect flow. start → the browser goes to Moodle's
 * connect.php (Moodle's own login: SSO, MFA...) with a state and a PKCE challenge → Moodle sends it back to
 * CALLBACK_PATH with a one-time code → the gateway redeems the code server to server with the verifier and the shared
 * secret for a new Moodle token of this connection alone. The state and verifier are kept server-side for 10 minutes,
 * single use, bound to the interaction (or connections-page sign-in) that started them and to the browser (a
 * SameSite=Lax cookie holding the state).
 */

export const CALLBACK_PATH = '/oauth/moodle/callback';
const STATE_MODEL = 'MoodleSignIn';
const TTL_SECONDS = 600;
const OFFER_CACHE_MS = 5 * 60_000;
const OFFER_RETRY_MS = 60_000;

/** What a started sign-in remembers (server-side, keyed by its state). */
export interface StartedSignIn {
  /** Where the person came from: the OAuth sign-in page of interaction `uid`, or the "My connections" page. */
  purpose: 'interaction' | 'connections';
  uid?: string;
  verifier: string;
  client?: { id: string; name: string };
}

/** The outcome of a callback: the new token and its owner, or why not (a message for the person, already audited). */
export type MoodleSignInResult =
  | { started: StartedSignIn; token: string; user: MoodleUser; validUntil: number; error?: undefined }
  | { started?: StartedSignIn; error: PageMessage; status: number };

/** `auto`: asks connectinfo.php whether the flow is enabled, remembered 5 minutes (a failed probe: 1 minute). */
export function offerCheck(connect: MoodleConnect, mode: 'auto' | 'on'): () => Promise<boolean> {
  if (mode === 'on') return async () => true;
  let known: { offered: boolean; until: number } | undefined;
  let pending: Promise<boolean> | undefined;
  return async () => {
    if (known && known.until > Date.now()) return known.offered;
    pending ??= connect
      .info()
      .then((info) => ((known = { offered: info.enabled, until: Date.now() + OFFER_CACHE_MS }), info.enabled))
      .catch(() => ((known = { offered: false, until: Date.now() + OFFER_RETRY_MS }), false))
      .finally(() => (pending = undefined));
    return pending;
  };
}

/** Where Moodle sends the browser back (registered in the plugin's connectreturnurls). */
export const callbackUrl = (ctx: Pick<OAuthContext, 'issuer'>) => `${ctx.issuer}${CALLBACK_PATH}`;

/** Starts a sign-in through Moodle: stores state and verifier, sets the state cookie, redirects to connect.php. */
export async function startMoodleSignIn(ctx: OAuthContext, started: Omit<StartedSignIn, 'verifier'>): Promise<Response> {
  const setup = ctx.moodleSignIn!;
  const state = randomToken(32);
  const verifier = randomToken(48);
  const record: StartedSignIn = { ...started, verifier };
  await ctx.store.oidcUpsert(STATE_MODEL, state, { payload: record as unknown as Record<string, unknown>, expiresAt: Date.now() + TTL_SECONDS * 1000 });
  const location = setup.connect.connectUrl({
    returnTo: callbackUrl(ctx), state, codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    client: started.client?.name ?? setup.gatewayName, gateway: setup.gatewayName,
    // The grant's absolute lifetime; a connections-page sign-in keeps no token (revoked at once).
    validUntil: Math.floor(Date.now() / 1000) + (started.purpose === 'interaction' ? ctx.refreshTokenTtl : TTL_SECONDS),
  });
  return redirectResponse(location, [cookieHeader(ctx.names.moodle, state, { secure: ctx.secure, maxAge: TTL_SECONDS, sameSite: 'Lax' })]);
}

/** The Set-Cookie that ends the state cookie (sent with every callback answer). */
export const clearStateCookie = (ctx: OAuthContext) => cookieHeader(ctx.names.moodle, '', { secure: ctx.secure, maxAge: 0, sameSite: 'Lax' });

// The plugin's error codes (connect.php's redirect) and ours, with what the person reads.
const PLUGIN_ERRORS: Record<string, { key: string; reason: string; misconfigured?: boolean }> = {
  access_denied: { key: 'signin.moodle.access_denied', reason: 'the person cancelled on Moodle\'s confirm page' },
  siteadmin: { key: 'signin.error.siteAdmin', reason: 'Moodle refused: site administrators cannot connect' },
  nopermission: { key: 'signin.moodle.nopermission', reason: 'the account lacks local/moodlemcp:connect' },
  unavailable: { key: 'signin.moodle.unavailable', reason: 'the plugin\'s connect flow is not enabled (connectsecret, connectreturnurls, connectservice)', misconfigured: true },
  server_error: { key: 'signin.moodle.server_error', reason: 'the plugin reported a server error' },
};

/**
 * The callback: checks the state (known, unused, not expired, the browser's cookie), then the plugin's answer (an error
 * code, or a code to redeem with the verifier), then the token like any other (site info, site administrators
 * refused). Every outcome is audited (`auth.signin.ok` / `auth.signin.failed`, detail `moodle`); a token that is
 * refused after it was issued is deleted in Moodle again.
 */
export async function completeMoodleSignIn(ctx: OAuthContext, request: Request, clientIp?: string): Promise<MoodleSignInResult> {
  const query = new URL(request.url).searchParams;
  const state = query.get('state') ?? '';
  const found = /^[A-Za-z0-9_-]{16,128}$/.test(state) ? await ctx.store.oidcFind(STATE_MODEL, state) : null;
  if (found) await ctx.store.oidcDestroy(STATE_MODEL, state); // single use, whatever happens next
  const started = found?.payload as unknown as StartedSignIn | undefined;
  const audited = { client_id: started?.client?.id, client_name: started?.client?.name, client_ip: clientIp, auth_method: 'oauth', detail: started?.purpose === 'connections' ? 'moodle connections page' : 'moodle' } as const;
  const fail = (message: PageMessage, status: number, reason: string, o: { moodleErrorcode?: string; misconfigured?: boolean } = {}): MoodleSignInResult => {
    if (o.misconfigured) ctx.log?.error({ reason }, 'sign-in through Moodle failed through no fault of the person: fix the gateway or the plugin');
    ctx.audit({ event: 'auth.signin.failed', ...audited, decision: o.misconfigured ? 'error' : 'denied', status, moodle_errorcode: o.moodleErrorcode, reasons: [reason] });
    return { started, error: message, status };
  };
  const site = { site: ctx.site?.current?.name ?? 'Moodle' };
  const cookie = readCookie(request, ctx.names.moodle);
  if (!started) return fail({ key: 'signin.moodle.expired', values: site }, 400, 'unknown, expired or already used state');
  if (!cookie || !digestEquals(cookie, state)) return fail({ key: 'signin.moodle.expired', values: site }, 400, 'the state does not belong to this browser (state cookie missing or different)');

  const error = query.get('error');
  if (error !== null) {
    // Only the plugin's codes reach the audit record as they are; anything else is recorded as `other`.
    const errorcode = Object.hasOwn(PLUGIN_ERRORS, error) ? error : 'other';
    const known = PLUGIN_ERRORS[errorcode] ?? PLUGIN_ERRORS.server_error;
    return fail({ key: known.key, values: site }, 401, `${known.reason} (${errorcode})`, { moodleErrorcode: errorcode, misconfigured: known.misconfigured });
  }
  const code = query.get('code') ?? '';
  if (!code || code.length > 512) return fail({ key: 'signin.moodle.refused', values: site }, 400, 'Moodle sent neither a code nor an error');

  let redeemed: Awaited<ReturnType<MoodleConnect['redeem']>>;
  try {
    redeemed = await ctx.moodleSignIn!.connect.redeem({ code, verifier: started.verifier, redirectUri: callbackUrl(ctx) });
  } catch (e) {
    const m = e instanceof MoodleError ? e : undefined;
    if (!m || m.isTransport) return fail({ key: 'signin.error.unreachable' }, 503, `redeem.php could not be reached (${m?.code ?? 'error'})`);
    // invalid_client (secret), invalid_request, no_secret: the gateway's setup; invalid_grant: a used, expired or forged code.
    return fail({ key: 'signin.moodle.refused', values: site }, 401, `redeem.php refused the code: ${m.message.slice(0, 200)}`, { moodleErrorcode: m.code, misconfigured: m.code !== 'invalid_grant' });
  }

  if (redeemed.service && redeemed.service !== ctx.service) {
    // The plugin's connectservice is not the gateway's moodle.service: a token of another service (wider, perhaps) is not used.
    await ctx.moodleSignIn!.connect.revoke(redeemed.token).catch(() => undefined);
    return fail({ key: 'signin.moodle.unavailable', values: site }, 401, `redeem.php issued a token for the service "${redeemed.service.slice(0, 100)}", not moodle.service "${ctx.service}" (set the plugin's connectservice to it); the new token was deleted in Moodle again`, { misconfigured: true });
  }
  let user: MoodleUser;
  try {
    user = await checkMoodleToken(ctx.moodle.getSiteInfo, redeemed.token, started.purpose === 'connections' || ctx.allowSiteAdmin, 'oauth.allow_site_admin');
    if (user.id !== redeemed.userid) throw new MoodleError('usermismatch', `site info names user ${user.id}, redeem.php user ${redeemed.userid}`);
  } catch (e) {
    await ctx.moodleSignIn!.connect.revoke(redeemed.token).catch(() => undefined);
    const failure = signInFailure(e, ctx.service);
    return fail(failure.message, failure.status, `${failure.reason}; the new token was deleted in Moodle again`, { moodleErrorcode: failure.moodleErrorcode, misconfigured: failure.misconfigured });
  }
  ctx.audit({ event: 'auth.signin.ok', ...audited, moodle_user_id: user.id, moodle_username: user.username, status: 200 });
  return { started, token: redeemed.token, user, validUntil: redeemed.validuntil };
}
