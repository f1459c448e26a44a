import { createHmac } from 'node:crypto';
import { digestEquals, encryptSecret } from '../crypto.ts';
import { pageContextOf, signInWithMoodle, type OAuthContext } from './context.ts';
import { cookieHeader, csrfToken, csrfValid, htmlResponse, readCookie, readForm, redirectResponse } from './http.ts';
import { connectionsPage, messagePage, signInPage } from './pages.ts';
import { startMoodleSignIn, type MoodleSignInResult } from './moodle-signin.ts';
import { revokeConnection, revokeMoodleToken } from '../revoke.ts';

const SESSION_SECONDS = 15 * 60;

/** `<userId>.<username b64url>.<expiry>.<hmac>`: a short sign-in to the connections page (no server-side state). */
function seal(ctx: OAuthContext, userId: number, username: string, exp: number): string {
  const body = `${userId}.${Buffer.from(username).toString('base64url')}.${exp}`;
  return `${body}.${createHmac('sha256', ctx.manageKey).update(body).digest('base64url')}`;
}

function open(ctx: OAuthContext, value: string | undefined): { userId: number; username: string } | null {
  const parts = value?.split('.') ?? [];
  if (parts.length !== 4) return null;
  const [id, name, exp, mac] = parts;
  const expected = createHmac('sha256', ctx.manageKey).update(`${id}.${name}.${exp}`).digest('base64url');
  if (!digestEquals(mac, expected) || Number(exp) * 1000 < Date.now()) return null;
  return { userId: Number(id), username: Buffer.from(name, 'base64url').toString() };
}

const sessionCookie = (ctx: OAuthContext, userId: number, username: string) => {
  const exp = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  // Lax, not Strict: after a sign-in through Moodle the cookie must come with the redirect of a navigation Moodle
  // started (another site, often). The page's forms carry a CSRF token; Lax sends no cookie with another site's POST.
  return cookieHeader(ctx.names.manage, seal(ctx, userId, username, exp), { secure: ctx.secure, maxAge: SESSION_SECONDS, sameSite: 'Lax' });
};

/**
 * The end of a sign-in through Moodle started on the connections page: it only proves who the person is, so the new
 * Moodle token is deleted in Moodle at once (audited) and the page's session cookie is set.
 */
export async function finishConnectionsSignIn(ctx: OAuthContext, result: Extract<MoodleSignInResult, { token: string }>): Promise<Response> {
  const { user } = result;
  await revokeMoodleToken(ctx.revoke, { id: 'connections-page', kind: 'oauth', moodleTokenEnc: encryptSecret(ctx.keyring, result.token, 'connections-page'), moodleTokenSource: 'plugin', moodleUser: user, profile: ctx.profile, scopes: [], createdAt: new Date().toISOString() }, 'connections page sign-in (token not kept)');
  return redirectResponse('/connections', [sessionCookie(ctx, user.id, user.username)]);
}

/**
 * The "My connections" page: `/connections` (GET), `/connections/login`, `/connections/token`, `/connections/revoke`,
 * `/connections/logout` (POST). A person signs in with Moodle and sees and revokes only their own connections.
 */
export async function handleConnectionsPage(ctx: OAuthContext, request: Request, action: string, clientIp?: string): Promise<Response> {
  const csrf = csrfToken(request, ctx.names.csrf, ctx.secure);
  const session = open(ctx, readCookie(request, ctx.names.manage));
  const { pc, langCookie } = pageContextOf(ctx, request, '/connections');
  const { t } = pc;
  const moodleOffered = (await ctx.moodleSignIn?.offered()) ?? false;
  const signIn = (error?: string, status = 200) =>
    htmlResponse(
      signInPage(pc, {
        title: t('connections.signInTitle'), intro: t('connections.signInIntro'), action: '/connections/login', tokenAction: '/connections/token', csrf: csrf.token, error,
        moodle: moodleOffered ? { href: '/connections/moodle' } : undefined, passwordForms: ctx.passwordSignIn,
      }),
      { status, setCookie: [csrf.setCookie, langCookie] },
    );
  const site = pc.site?.name ?? 'Moodle';

  if (request.method === 'GET' && action === '') {
    if (!session) return signIn();
    const rows = (await ctx.store.listConnections({ moodleUserId: session.userId })).filter((c) => c.moodleUser?.username === session.username);
    const failed = new URL(request.url).searchParams.get('moodle') === 'failed';
    return htmlResponse(connectionsPage(pc, {
      csrf: csrf.token, username: session.username, connections: rows, revokeAction: '/connections/revoke', logoutAction: '/connections/logout', service: ctx.service,
      pluginNote: rows.some((c) => c.moodleTokenSource === 'plugin') ? t('connections.pluginTokenNote', { site }) : undefined,
      error: failed ? t('connections.moodleRevokeFailed', { site }) : undefined,
    }), {
      setCookie: [csrf.setCookie, langCookie],
    });
  }
  if (request.method === 'GET' && action === 'moodle') return moodleOffered ? startMoodleSignIn(ctx, { purpose: 'connections' }) : signIn(undefined, 404);
  if (request.method !== 'POST') return htmlResponse(messagePage(pc, t('page.notAllowedTitle'), t('page.notAllowedForms')), { status: 405 });
  const form = await readForm(request);
  if (form instanceof Response) return form;
  if (!form || !csrfValid(request, form, ctx.names.csrf))
    return htmlResponse(messagePage(pc, t('page.csrfTitle'), t('page.csrf')), { status: 403 });

  if ((action === 'login' || action === 'token') && !ctx.passwordSignIn) {
    ctx.audit({ event: 'auth.signin.failed', client_ip: clientIp, auth_method: 'oauth', decision: 'denied', status: 403, reasons: ['password and token sign-in are switched off (oauth.password_signin)'], detail: 'connections page' });
    return signIn(t('signin.passwordOff', { site }), 403);
  }
  if (action === 'login' || action === 'token') {
    // Listing and revoking one's own connections is harmless, so site administrators may use this page.
    const result = await signInWithMoodle(ctx, form, action, { clientIp, allowSiteAdmin: true, detail: 'connections page' });
    if (result.error !== undefined) return signIn(t(result.error.key, result.error.values), result.status);
    return redirectResponse('/connections', [sessionCookie(ctx, result.user.id, result.user.username)]);
  }
  if (action === 'logout') return redirectResponse('/connections', [cookieHeader(ctx.names.manage, '', { secure: ctx.secure, maxAge: 0 })]);
  if (action === 'revoke') {
    if (!session) return signIn(t('signin.error.sessionExpired'), 401);
    const id = form.get('id') ?? '';
    const record = await ctx.store.getConnection(id);
    if (!record || record.moodleUser?.id !== session.userId || record.moodleUser.username !== session.username)
      return htmlResponse(messagePage(pc, t('page.notFoundTitle'), t('connections.notYours'), { href: '/connections', text: t('common.back') }), { status: 404 });
    // Already revoked (e.g. a second click): nothing happened, nothing to audit.
    const { moodle } = await revokeConnection(ctx.revoke, id, { detail: 'connections page', clientIp });
    return redirectResponse(moodle === 'failed' ? '/connections?moodle=failed' : '/connections');
  }
  return htmlResponse(messagePage(pc, t('page.notFoundTitle'), t('page.notFoundPage')), { status: 404 });
}
