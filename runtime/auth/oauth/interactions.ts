import { ServerResponse } from 'node:http';
import type { Interaction } from 'oidc-provider';
import { encryptSecret, decryptSecret, randomId } from '../crypto.ts';
import { revokeMoodleToken } from '../revoke.ts';
import { ALL_SCOPES } from '../scopes.ts';
import type { ConnectionRecord } from '../store/types.ts';
import type { MoodleUser, Scope } from '../types.ts';
import { pageContextOf, signInWithMoodle, type OAuthContext } from './context.ts';
import { csrfToken, csrfValid, htmlResponse, readForm, redirectResponse } from './http.ts';
import { nodeRequest } from './node-bridge.ts';
import { consentPage, messagePage, signInPage } from './pages.ts';
import { startMoodleSignIn, type MoodleSignInResult } from './moodle-signin.ts';

const PENDING_TTL_MS = 10 * 60_000;

/** A signed-in person waiting for their consent: the sealed Moodle token, its owner and where it came from. */
interface Pending {
  sealed: string;
  user: MoodleUser;
  source: NonNullable<ConnectionRecord['moodleTokenSource']>;
}

async function savePending(ctx: OAuthContext, uid: string, token: string, user: MoodleUser, source: Pending['source']) {
  // A sign-in it replaces (the person went back and signed in again): a token the plugin issued for it is deleted in Moodle.
  const replaced = await ctx.store.oidcFind('PendingLogin', uid);
  if (replaced) await revokePending(ctx, uid, replaced.payload as unknown as Pending, 'sign-in replaced before consent');
  const pending: Pending = { sealed: encryptSecret(ctx.keyring, token, `pending:${uid}`), user, source };
  await ctx.store.oidcUpsert('PendingLogin', uid, { payload: pending as unknown as Record<string, unknown>, expiresAt: Date.now() + PENDING_TTL_MS });
}

/** Deletes in Moodle the token a plugin sign-in issued for a pending sign-in that will not become a connection (audited). */
async function revokePending(ctx: OAuthContext, uid: string, pending: Pending, detail: string, client?: { id: string; name: string }) {
  if (pending.source !== 'plugin') return;
  await revokeMoodleToken(ctx.revoke, { id: `pending:${uid}`, kind: 'oauth', moodleTokenEnc: pending.sealed, moodleTokenSource: 'plugin', moodleUser: pending.user, client, profile: ctx.profile, scopes: [], createdAt: new Date().toISOString() }, detail);
}

/**
 * The end of a sign-in through Moodle started on interaction `uid`'s page: the token waits for consent, which
 * `/interaction/<uid>/signed-in` asks for (the interaction cookie is scoped to that path, so the callback redirects there).
 */
export async function finishInteractionSignIn(ctx: OAuthContext, result: Extract<MoodleSignInResult, { token: string }>): Promise<Response> {
  const uid = result.started.uid!;
  await savePending(ctx, uid, result.token, result.user, 'plugin');
  return redirectResponse(`/interaction/${encodeURIComponent(uid)}/signed-in`);
}

async function details(ctx: OAuthContext, request: Request): Promise<Interaction | null> {
  const req = nodeRequest(request, Buffer.alloc(0), { forwarded: ctx.forwarded });
  try {
    return await ctx.provider.interactionDetails(req, new ServerResponse(req));
  } catch {
    return null;
  }
}

function requestedResource(i: Interaction, ctx: OAuthContext): string {
  const r = i.params.resource;
  const first = Array.isArray(r) ? r[0] : r;
  return typeof first === 'string' && ctx.resources.includes(first) ? first : ctx.resources[0];
}

function requestedScopes(i: Interaction): string[] {
  return typeof i.params.scope === 'string' ? i.params.scope.split(' ').filter(Boolean) : [];
}

/** Whether the person may pick read+write: the mode, the profile and the client's request all permit it. */
function canWrite(ctx: OAuthContext, i: Interaction): boolean {
  const rs = requestedScopes(i).filter((s) => (ALL_SCOPES as readonly string[]).includes(s));
  return ctx.writeAllowed && ctx.profileScopes.includes('api.write') && (rs.length === 0 || rs.includes('api.write'));
}

async function clientOf(ctx: OAuthContext, i: Interaction) {
  const client = await ctx.provider.Client.find(String(i.params.client_id));
  return { id: String(i.params.client_id), name: (client?.clientName as string | undefined) ?? String(i.params.client_id) };
}

function formTarget(redirectUri: string): string[] {
  const u = URL.parse(redirectUri);
  if (!u) return [];
  return [u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : u.protocol];
}

/**
 * `/interaction/<uid>` (GET: sign-in page), `/interaction/<uid>/login` (username + password → Moodle login/token.php),
 * `/interaction/<uid>/token` (pasted Moodle token), `/interaction/<uid>/consent` (allow read or read+write, or deny).
 */
export async function handleInteraction(ctx: OAuthContext, request: Request, uid: string, action: string, clientIp?: string): Promise<Response> {
  const csrf = csrfToken(request, ctx.names.csrf, ctx.secure);
  const { pc, langCookie } = pageContextOf(ctx, request, `/interaction/${encodeURIComponent(uid)}`);
  const { t } = pc;
  const interaction = await details(ctx, request);
  if (!interaction || interaction.uid !== uid)
    return htmlResponse(messagePage(pc, t('signin.expiredTitle'), t('signin.expired')), { status: 400, setCookie: [langCookie] });
  const client = await clientOf(ctx, interaction);
  const redirectUri = String(interaction.params.redirect_uri ?? '');
  const action_ = (name: string) => `/interaction/${encodeURIComponent(uid)}/${name}`;
  const moodleOffered = (await ctx.moodleSignIn?.offered()) ?? false;
  const signIn = (error?: string, username?: string, status = 200) =>
    htmlResponse(
      signInPage(pc, {
        action: action_('login'), tokenAction: action_('token'), csrf: csrf.token, clientName: client.name, error, username,
        moodle: moodleOffered ? { href: action_('moodle') } : undefined, passwordForms: ctx.passwordSignIn,
      }),
      { status, setCookie: [csrf.setCookie, langCookie] },
    );
  const consent = (user: MoodleUser) =>
    htmlResponse(
      consentPage(pc, {
        action: action_('consent'), csrf: csrf.token, clientName: client.name, clientId: client.id, redirectUri,
        username: user.username, fullname: user.fullname, canWrite: canWrite(ctx, interaction),
        readOnlyReason: t(ctx.writeAllowed ? (ctx.profileScopes.includes('api.write') ? 'consent.readOnly.client' : 'consent.readOnly.profile') : 'consent.readOnly.mode'),
      }),
      { setCookie: [csrf.setCookie, langCookie], formTargets: formTarget(redirectUri) },
    );

  if (request.method === 'GET' && action === '') return signIn();
  if (request.method === 'GET' && action === 'moodle')
    return moodleOffered ? startMoodleSignIn(ctx, { purpose: 'interaction', uid, client }) : signIn(undefined, undefined, 404);
  if (request.method === 'GET' && action === 'signed-in') {
    const found = await ctx.store.oidcFind('PendingLogin', uid);
    return found ? consent((found.payload as unknown as Pending).user) : signIn(t('signin.error.sessionExpired'), undefined, 400);
  }
  if (request.method !== 'POST') return htmlResponse(messagePage(pc, t('page.notAllowedTitle'), t('page.notAllowed')), { status: 405 });
  const form = await readForm(request);
  if (form instanceof Response) return form;
  if (!form || !csrfValid(request, form, ctx.names.csrf))
    return htmlResponse(messagePage(pc, t('page.csrfTitle'), t('page.csrf')), { status: 403 });

  const audit = { client_id: client.id, client_name: client.name } as const;
  if ((action === 'login' || action === 'token') && !ctx.passwordSignIn) {
    ctx.audit({ event: 'auth.signin.failed', ...audit, client_ip: clientIp, auth_method: 'oauth', decision: 'denied', status: 403, reasons: ['password and token sign-in are switched off (oauth.password_signin)'], detail: action });
    return signIn(t('signin.passwordOff', { site: pc.site?.name ?? 'Moodle' }), undefined, 403);
  }
  if (action === 'login' || action === 'token') {
    const result = await signInWithMoodle(ctx, form, action, { clientIp, allowSiteAdmin: ctx.allowSiteAdmin, client: audit, detail: action });
    if (result.error !== undefined) return signIn(t(result.error.key, result.error.values), result.username, result.status);
    const { token, user } = result;
    await savePending(ctx, uid, token, user, action === 'login' ? 'password' : 'pasted');
    ctx.audit({ event: 'auth.signin.ok', ...audit, client_ip: clientIp, moodle_user_id: user.id, moodle_username: user.username, auth_method: 'oauth', status: 200, detail: action });
    return consent(user);
  }

  if (action === 'consent') {
    const found = await ctx.store.oidcFind('PendingLogin', uid);
    if (!found) return signIn(t('signin.error.sessionExpired'), undefined, 400);
    const pending = found.payload as unknown as Pending;
    await ctx.store.oidcDestroy('PendingLogin', uid);
    const req = nodeRequest(request, Buffer.alloc(0), { forwarded: ctx.forwarded });
    const res = new ServerResponse(req);
    if (form.get('decision') !== 'allow') {
      // A token the plugin issued for this connection is deleted in Moodle again (audited like a revocation).
      await revokePending(ctx, uid, pending, 'consent denied', client);
      const url = await ctx.provider.interactionResult(req, res, { error: 'access_denied', error_description: 'the person denied access' });
      return redirectResponse(url);
    }
    const scopes: Scope[] = form.get('access') === 'write' && canWrite(ctx, interaction) ? ['api.read', 'api.write'] : ['api.read'];
    const resource = requestedResource(interaction, ctx);
    const accountId = String(pending.user.id);
    const grant = new ctx.provider.Grant({ accountId, clientId: client.id });
    grant.addResourceScope(resource, scopes.join(' '));
    const rejected = ALL_SCOPES.filter((s) => !scopes.includes(s));
    if (rejected.length) grant.rejectResourceScope(resource, rejected.join(' '));
    const oidcScopes = requestedScopes(interaction).filter((s) => s === 'openid' || s === 'offline_access');
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    const grantId = await grant.save();

    const id = randomId('oa_');
    const now = new Date();
    const record: ConnectionRecord = {
      id,
      kind: 'oauth',
      name: client.name,
      profile: ctx.profile,
      scopes,
      moodleTokenEnc: encryptSecret(ctx.keyring, decryptSecret(ctx.keyring, pending.sealed, `pending:${uid}`), id),
      moodleTokenSource: pending.source,
      moodleUser: pending.user,
      client: { id: client.id, name: client.name, redirectUri },
      grantId,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ctx.refreshTokenTtl * 1000).toISOString(),
    };
    await ctx.store.createConnection(record);
    ctx.audit({ event: 'auth.token.issued', ...audit, connection_id: id, moodle_user_id: pending.user.id, moodle_username: pending.user.username, auth_method: 'oauth', status: 200, detail: `consent ${scopes.join(' ')}` });
    const url = await ctx.provider.interactionResult(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    return redirectResponse(url);
  }
  return htmlResponse(messagePage(pc, t('page.notFoundTitle'), t('page.notFound')), { status: 404 });
}
