import type { AuditRecord } from '../audit/types.ts';
import { digestEquals, hashApiKey } from '../auth/crypto.ts';
import { moodleTokenFromForm, signInFailure, type PageMessage } from '../auth/oauth/context.ts';
import type { SignInThrottle } from '../auth/oauth/throttle.ts';
import type { SiteInfo } from '../moodle/site-info.ts';

/** Moodle as the console's sign-in needs it (MoodleClient fits). */
export interface AdminMoodle {
  tokenLogin(username: string, password: string, service: string): Promise<{ token: string }>;
  getSiteInfo(token: string): Promise<SiteInfo>;
}

export interface AdminSignInDeps {
  moodle: AdminMoodle;
  service: string;
  /** Hex SHA-256 of the operator key (admin.operator_key_env / operator_key_sha256); undefined: no operator key. */
  operatorKeyHash?: string;
  throttle: SignInThrottle;
  audit(rec: Omit<AuditRecord, 'timestamp'>): void;
}

export type AdminSignIn = { who: string; method: 'moodle' | 'operator' } | { error: PageMessage; status: number; username?: string };

/**
 * Signs an administrator in to the console: a Moodle username and password (exchanged at login/token.php) or a pasted
 * Moodle token, accepted only when site info says `userissiteadmin: true` (the token is used for that check alone and
 * dropped), or the operator key from the config. Throttled like the people's sign-in; every outcome is audited.
 */
export async function adminSignIn(deps: AdminSignInDeps, form: URLSearchParams, action: 'login' | 'token' | 'operator', clientIp?: string): Promise<AdminSignIn> {
  const username = action === 'login' ? (form.get('username') ?? '').trim() : undefined;
  const base = { client_ip: clientIp, detail: `admin console ${action}` } as const;
  if (deps.throttle.blocked(clientIp, username)) return { error: { key: 'signin.error.tooMany' }, status: 429, username };
  const refuse = (error: PageMessage, status: number, fields: Partial<AuditRecord> = {}, counts = true): AdminSignIn => {
    if (counts) deps.throttle.fail(clientIp, username);
    deps.audit({ event: 'auth.signin.failed', ...base, auth_method: action === 'operator' ? 'operator-key' : 'admin-console', moodle_username: username, status, decision: 'denied', ...fields });
    return { error, status, username };
  };

  if (action === 'operator') {
    const key = form.get('key') ?? '';
    if (!deps.operatorKeyHash) return { error: { key: 'admin.signin.noOperatorKey' }, status: 400 };
    if (!key || !digestEquals(hashApiKey(key), deps.operatorKeyHash)) return refuse({ key: 'admin.signin.badOperatorKey' }, 401, { reasons: ['wrong operator key'] });
    deps.audit({ event: 'auth.signin.ok', ...base, auth_method: 'operator-key', status: 200 });
    return { who: 'operator', method: 'operator' };
  }

  let info: SiteInfo;
  try {
    const given = await moodleTokenFromForm(deps.moodle, deps.service, form, action, username);
    if ('error' in given) return action === 'login' ? { ...given, username } : given;
    info = await deps.moodle.getSiteInfo(given.token);
    // The token goes out of scope here: it is not stored, logged or used again.
  } catch (error) {
    // The same classification as the people's sign-in (whose fault, what to tell, what to audit).
    const failure = signInFailure(error, deps.service);
    return refuse(failure.message, failure.status, { moodle_errorcode: failure.moodleErrorcode, reasons: [failure.reason], ...(failure.misconfigured ? { decision: 'error' as const } : {}) }, failure.counts);
  }
  // Only an explicit `true` opens the console (a missing flag is not taken as a yes).
  if (info.userissiteadmin !== true)
    return refuse({ key: 'admin.signin.notAdmin', values: { username: info.username } }, 403, { moodle_user_id: info.userid, moodle_username: info.username, reasons: ['not a Moodle site administrator (administration console)'] });
  deps.audit({ event: 'auth.signin.ok', ...base, auth_method: 'admin-console', moodle_user_id: info.userid, moodle_username: info.username, status: 200 });
  return { who: info.username, method: 'moodle' };
}
