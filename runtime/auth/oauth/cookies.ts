import { createHmac } from 'node:crypto';
import type { Keyring } from '../crypto.ts';

// Cookie names and derived keys of the sign-in pages, apart from provider.ts so that the administration console can
// share them without loading oidc-provider.

/** Cookie names: `__Host-`/`__Secure-` on https; on plain-http loopback development the same names without the prefix. */
export function cookieNames(secure: boolean) {
  return {
    session: secure ? '__Host-mmcp-session' : 'mmcp-session',
    // oidc-provider scopes these to /interaction/<uid> and /oauth/authorize/<uid>, so `__Host-` (Path=/) cannot apply.
    interaction: secure ? '__Secure-mmcp-interaction' : 'mmcp-interaction',
    resume: secure ? '__Secure-mmcp-resume' : 'mmcp-resume',
    csrf: secure ? '__Host-mmcp-csrf' : 'mmcp-csrf',
    manage: secure ? '__Host-mmcp-manage' : 'mmcp-manage',
    // The state of a sign-in through Moodle (SameSite=Lax: it must come back with Moodle's top-level redirect).
    moodle: secure ? '__Host-mmcp-moodle' : 'mmcp-moodle',
  };
}

/** A key derived from the encryption key for a purpose (cookie signing, CSRF, manage-page sessions). */
export function derivedKey(keyring: Keyring, purpose: string): Buffer {
  return createHmac('sha256', keyring.current.key).update(`moodle-mcp ${purpose}`).digest();
}

