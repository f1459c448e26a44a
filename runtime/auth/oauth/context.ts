import type Provider from 'oidc-provider';
import type { AuditRecord } from '../../audit/types.ts';
import type { Keyring } from '../crypto.ts';
import { checkMoodleToken, type GetSiteInfo } from '../moodle-user.ts';
import type { AuthStore } from '../store/types.ts';
import type { MoodleUser } from '../types.ts';
import type { cookieNames } from './provider.ts';
import type { SignInThrottle } from './throttle.ts';

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
}

const TOO_MANY = 'Too many failed sign-ins from here or for this account. Wait 15 minutes and try again.';

// What a person sees when Moodle refuses (never the password or the token).
function signInMessage(error: unknown, service: string): string {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'invalidlogin':
      return 'Moodle did not accept this username and password. Check them and try again.';
    case 'servicenotavailable':
      return `The Moodle web service "${service}" is not available to you (it is disabled, or your account may not use it). Ask your Moodle administrator.`;
    case 'invalidtoken':
      return 'Moodle did not accept this token (unknown, expired, or for another site).';
    case 'forbidden':
      return (error as Error).message;
    case 'accessexception':
    case 'webservicesnotenabled':
      return 'Moodle refused access to its web services for this account. Ask your Moodle administrator.';
    default:
      return 'Moodle could not be reached or refused the sign-in. Try again later.';
  }
}

/** The outcome of a sign-in step: the Moodle token and its owner, or the message to show with its HTTP status. */
export type MoodleSignIn = { username?: string } & ({ token: string; user: MoodleUser; error?: undefined } | { error: string; status: number });

/**
 * The `login` (username + password → Moodle login/token.php) or `token` (pasted Moodle token) step of the sign-in and
 * connections pages: throttle, Moodle, site-admin guard (`allowSiteAdmin`). A failure Moodle reports is counted by the
 * throttle and audited as `auth.signin.failed` with the `client` fields and `detail` (never the password or the token).
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
    let token: string;
    if (action === 'login') {
      const password = form.get('password') ?? '';
      if (!username || !password) return { username, error: 'Enter your Moodle username and password.', status: 400 };
      token = (await ctx.moodle.tokenLogin(username, password, ctx.service)).token;
    } else {
      token = (form.get('token') ?? '').trim();
      if (!/^[A-Za-z0-9]{8,128}$/.test(token)) return { error: 'A Moodle token is a string of letters and digits (usually 32).', status: 400 };
    }
    const user = await checkMoodleToken(ctx.moodle.getSiteInfo, token, o.allowSiteAdmin, 'oauth.allow_site_admin');
    return { username, token, user };
  } catch (error) {
    ctx.throttle.fail(o.clientIp, username);
    ctx.audit({ event: 'auth.signin.failed', ...o.client, client_ip: o.clientIp, moodle_username: username, auth_method: 'oauth', status: 401, moodle_errorcode: (error as { code?: string }).code, detail: o.detail });
    return { username, error: signInMessage(error, ctx.service), status: 401 };
  }
}
