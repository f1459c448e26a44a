/** Why authentication or an auth operation failed; `code` drives the HTTP status and the WWW-Authenticate header. */
export type AuthErrorCode =
  | 'invalid_token' // missing, unknown, expired or revoked credential → 401
  | 'insufficient_scope' // valid credential without the needed scope → 403
  | 'invalid_request' // malformed Authorization header → 400/401
  | 'forbidden' // refused by rule (admin account, demo off loopback) → 403
  | 'config' // bad key, store or config → startup error
  | 'crypto' // ciphertext cannot be opened
  | 'store' // storage failure
  | 'not_found'
  | 'moodle'; // Moodle refused a login or token check

/** The one error class of the auth layer. Messages never contain secrets. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  /** Scopes needed, for insufficient_scope. */
  readonly scope?: string;
  /** True when the request carried no credential at all (RFC 6750: the challenge then names no error). */
  readonly missing: boolean;
  /** The challenge to send with a 401/403 (set by the authenticator, see challenge.ts). */
  wwwAuthenticate?: string;
  constructor(code: AuthErrorCode, message: string, options: { scope?: string; cause?: unknown; missing?: boolean } = {}) {
    super(message, options.cause ? { cause: options.cause } : undefined);
    this.name = 'AuthError';
    this.code = code;
    this.scope = options.scope;
    this.missing = options.missing ?? false;
  }

  /** HTTP status for this error. */
  get status(): number {
    switch (this.code) {
      case 'invalid_token':
        return 401;
      case 'invalid_request':
        return 400;
      case 'insufficient_scope':
      case 'forbidden':
        return 403;
      case 'not_found':
        return 404;
      default:
        return 500;
    }
  }
}
