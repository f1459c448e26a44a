import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { MoodleError } from '../../moodle/errors.ts';
import { AuthError } from '../errors.ts';
import type { AuditRecord } from '../../audit/types.ts';
import type { Keyring } from '../crypto.ts';
import { checkMoodleToken, type GetSiteInfo } from '../moodle-user.ts';
import type { AuthStore } from '../store/types.ts';
import type { MoodleUser } from '../types.ts';
import { pageLocale } from '../../i18n/page-locale.ts';
import { translator } from '../../i18n/translate.ts';
import type { SiteDirectory } from '../../moodle/site-identity.ts';
import type { PageContext } from './pages.ts';
import type { cookieNames } from './provider.ts';
import type { SignInThrottle } from './throttle.ts';
import type { MoodleConnect } from '../../moodle/connect.ts';
import type { RevokeDeps } from '../revoke.ts';

/** Moodle as the sign-in pages need it (MoodleClient fits; tests pass a fake or the simulator). */
export interface OAuthMoodle {
  tokenLogin(username: string, password: string, service: string): Promise<{ token: string }>;
  getSiteInfo: GetSiteInfo;
}

/** Everything the OAuth handlers share. */
export interface OAuthContext {
  provider: Provider;
  store: AuthStore;
  keyring: Keyring;
  moodle: OAuthMoodle;
  service: string;
  profile: string;
  profileScopes: readonly string[];
  writeAllowed: boolean;
  allowSiteAdmin: boolean;
  refreshTokenTtl: number;
  resources: string[];
  /** The public URL's protocol and host, as oidc-provider must see them through the node bridge. */
  forwarded: { proto: string; host: string };
  secure: boolean;
  /** HMAC key of the connections page's session cookie. */
  manageKey: Buffer;
  names: ReturnType<typeof cookieNames>;
  audit: (rec: Omit<AuditRecord, 'timestamp'>) => void;
  throttle: SignInThrottle;
  /** Operational log: sign-in failures an administrator must fix (service missing, Moodle unreachable). */
  log?: Pick<Logger, 'error'>;
  /** The Moodle site's name and address for the pages (from site info answers). */
  site?: SiteDirectory;
  /** Sign-in through the local_moodlemcp plugin (see moodle-signin.ts); absent when switched off. */
  moodleSignIn?: MoodleSignInSetup;
  /** The password form and the token paste are offered and accepted (oauth.password_signin). */
  passwordSignIn: boolean;
  /** Revokes connections, in Moodle too for plugin-issued tokens. */
  revoke: RevokeDeps;
  /** The gateway's public origin (callback URLs). */
  issuer: string;
}

/** The plugin's connect flow as the sign-in pages use it. */
export interface MoodleSignInSetup {
  connect: MoodleConnect;
  /** `on`: always offered; `auto`: offered while connectinfo.php says the flow is enabled (cached). */
  mode: 'auto' | 'on';
  /** Whether to offer it now (offerCheck in moodle-signin.ts). */
  offered: () => Promise<boolean>;
  /** The gateway's name on Moodle's confirm page and in the token's name. */
  gatewayName: string;
}

/** The language (and the cookie that keeps a switched one) and site of a page for `request`. */
export function pageContextOf(ctx: Pick<OAuthContext, 'secure' | 'site'>, request: Request, switchPath?: string): { pc: PageContext; langCookie?: string } {
  const { locale, setCookie } = pageLocale(request, ctx.secure);
  return { pc: { t: translator(locale), site: ctx.site?.current, switchPath }, langCookie: setCookie };
}

/** A message for the person: a catalog key (runtime/i18n/messages) and its values. */
export interface PageMessage {
  key: string;
  values?: Record<string, string>;
}

const TOO_MANY: PageMessage = { key: 'signin.error.tooMany' };

/**
 * A failed sign-in step, told three ways: `message` for the person (plain words, no config keys), `reason` for the
 * audit record and the operators, and whose failure it is. Every sign-in failure is a 401, the gateway's own
 * misconfiguration included (service missing or disabled, web services off: the person is told it is not their
 * account, the operators get the reason in the log); only the person's own (wrong password, unknown token) counts
 * towards the throttle. Moodle being unreachable is an outage, not a refused sign-in: a 503.
 */
export interface SignInFailure {
  status: 401 | 503;
  /** For the person, in their language. */
  message: PageMessage;
  reason: string;
  /** Moodle's own errorcode, when Moodle gave one. */
  moodleErrorcode?: string;
  /** True when the person's input was wrong (password guessing): counted by the throttle. */
  counts: boolean;
  /** True when the gateway or Moodle must be fixed by an administrator. */
  misconfigured: boolean;
}

/** Classifies a sign-in failure (never includes the password or the token). */
export function signInFailure(error: unknown, service: string): SignInFailure {
  if (error instanceof AuthError && error.code === 'forbidden')
    return {
      status: 401,
      message: { key: 'signin.error.siteAdmin' },
      reason: error.message,
      counts: false,
      misconfigured: false,
    };
  const moodle = error instanceof MoodleError ? error : undefined;
  const code = moodle && !moodle.isTransport ? moodle.code : undefined;
  const failure = (status: 401 | 503, key: string, reason: string, counts = false, misconfigured = false): SignInFailure => ({ status, message: { key, values: { service } }, reason, moodleErrorcode: code, counts, misconfigured });
  switch (code) {
    case 'invalidlogin':
      return failure(401, 'signin.error.invalidLogin', 'Moodle rejected the username or password', true);
    case 'invalidtoken':
      return failure(401, 'signin.error.invalidToken', 'Moodle rejected the pasted token', true);
    case 'usernotallowed':
      return failure(401, 'signin.error.notAuthorised', `the account is not an authorised user of the restricted service "${service}"`);
    case 'servicenotavailable':
      return failure(401, 'signin.error.service', `moodle.service "${service}" does not exist or is disabled in Moodle (Site administration > Server > Web services > External services)`, false, true);
    case 'enablewsdescription':
    case 'webservicesnotenabled':
      return failure(401, 'signin.error.webServicesOff', 'web services are disabled in Moodle (Site administration > Advanced features > Enable web services)', false, true);
    case 'accessexception':
      return failure(401, 'signin.error.access', 'Moodle refused web service access for this account');
    case undefined:
      return failure(503, 'signin.error.unreachable', `Moodle could not be reached (${moodle?.code ?? (error instanceof Error ? error.name : 'error')})`);
    default:
      return failure(401, 'signin.error.refused', `Moodle refused the sign-in (${code})`);
  }
}

/** The outcome of a sign-in step: the Moodle token and its owner, or the message to show with its HTTP status. */
export type MoodleSignIn = { username?: string } & ({ token: string; user: MoodleUser; error?: undefined } | { error: PageMessage; status: number });

/**
 * The Moodle token a sign-in form gives: `login` exchanges the username and password at login/token.php, `token` takes
 * the pasted token. A form that is incomplete or malformed is a 400 message; Moodle's refusals are thrown (see
 * {@link signInFailure}). Shared by the sign-in and connections pages and the administration console.
 */
export async function moodleTokenFromForm(
  moodle: Pick<OAuthMoodle, 'tokenLogin'>,
  service: string,
  form: URLSearchParams,
  action: 'login' | 'token',
  username: string | undefined,
): Promise<{ token: string } | { error: PageMessage; status: 400 }> {
  if (action === 'login') {
    const password = form.get('password') ?? '';
    if (!username || !password) return { error: { key: 'signin.error.missing' }, status: 400 };
    return { token: (await moodle.tokenLogin(username, password, service)).token };
  }
  const token = (form.get('token') ?? '').trim();
  if (!/^[A-Za-z0-9]{8,128}$/.test(token)) return { error: { key: 'signin.error.tokenFormat' }, status: 400 };
  return { token };
}

/**
 * The `login` (username + password → Moodle login/token.php) or `token` (pasted Moodle token) step of the sign-in and
 * connections pages: throttle, Moodle, site-admin guard (`allowSiteAdmin`). A failure Moodle reports is counted by the
 * throttle when it is the person's, and every failure is audited as `auth.signin.failed` with the `client` fields, the
 * reason and `detail` (never the password or the token); see {@link signInFailure}.
 */
export async function signInWithMoodle(
  ctx: OAuthContext,
  form: URLSearchParams,
  action: 'login' | 'token',
  o: { clientIp?: string; allowSiteAdmin: boolean; client?: Pick<AuditRecord, 'client_id' | 'client_name'>; detail: string },
): Promise<MoodleSignIn> {
  const username = action === 'login' ? (form.get('username') ?? '').trim() : undefined;
  if (ctx.throttle.blocked(o.clientIp, username)) return { username, error: TOO_MANY, status: 429 };
  try {
    const given = await moodleTokenFromForm(ctx.moodle, ctx.service, form, action, username);
    if ('error' in given) return action === 'login' ? { username, ...given } : given;
    const { token } = given;
    const user = await checkMoodleToken(ctx.moodle.getSiteInfo, token, o.allowSiteAdmin, 'oauth.allow_site_admin');
    return { username, token, user };
  } catch (error) {
    const failure = signInFailure(error, ctx.service);
    if (failure.counts) ctx.throttle.fail(o.clientIp, username);
    if (failure.misconfigured) ctx.log?.error({ reason: failure.reason }, 'OAuth sign-in failed through no fault of the person: fix the gateway or Moodle');
    ctx.audit({
      event: 'auth.signin.failed', ...o.client, client_ip: o.clientIp, moodle_username: username, auth_method: 'oauth', decision: failure.misconfigured ? 'error' : 'denied',
      status: failure.status, moodle_errorcode: failure.moodleErrorcode, reasons: [failure.reason], detail: o.detail,
    });
    return { username, error: failure.message, status: failure.status };
  }
}
