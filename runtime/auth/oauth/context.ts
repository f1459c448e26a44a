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
  base: URL;
  secure: boolean;
  names: ReturnType<typeof cookieNames>;
  audit: (rec: Omit<AuditRecord, 'timestamp'>) => void;
  throttle: SignInThrottle;
}

export const TOO_MANY = 'Too many failed sign-ins from here or for this account. Wait 15 minutes and try again.';

/** What a person sees when Moodle refuses (never the password or the token). */
export function signInMessage(error: unknown, service: string): string {
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

/** Resolves the token's owner and applies the site-admin guard. */
export function checkToken(ctx: OAuthContext, token: string): Promise<MoodleUser> {
  return checkMoodleToken(ctx.moodle.getSiteInfo, token, ctx.allowSiteAdmin, 'oauth.allow_site_admin');
}
