import { bearerChallenge, type ChallengeOptions } from './challenge.ts';
import type { Keyring } from './crypto.ts';
import { AuthError } from './errors.ts';
import { authenticateBearer, type ConfigKey, type DemoOptions } from './bearer.ts';
import type { AuthStore } from './store/types.ts';
import type { Connection } from './types.ts';

export interface AuthenticatorOptions {
  store?: AuthStore;
  keyring?: Keyring;
  configKeys?: ConfigKey[];
  demo?: DemoOptions;
  /** OAuth access tokens (createOAuth(...).authenticateToken). */
  oauth?: { authenticateToken(token: string): Promise<Connection | null> };
  /** For the WWW-Authenticate challenge (createOAuth(...) has both as `resourceMetadataUrl` and `scope`). */
  challenge: ChallengeOptions;
}

/**
 * The gateway's `/mcp` authenticator: `(request, clientIp) → Connection`, trying store API keys, config keys, demo keys
 * (loopback only) and OAuth access tokens. Throws AuthError with `status` (400/401/403) and `wwwAuthenticate` set
 * (none for 403), which the HTTP layer sends as is; a store or key-ring failure is thrown as a plain Error instead.
 */
export function createAuthenticator(o: AuthenticatorOptions): (request: Request, clientIp: string) => Promise<Connection> {
  return async (request, clientIp) => {
    const header = request.headers.get('authorization');
    try {
      const connection = await authenticateBearer(header, {
        store: o.store, keyring: o.keyring, configKeys: o.configKeys, demo: o.demo, clientIp,
        oauth: o.oauth ? (token) => o.oauth!.authenticateToken(token) : undefined,
      });
      if (connection) return connection;
      throw header
        ? new AuthError('invalid_token', 'unknown, expired or revoked credential')
        : new AuthError('invalid_token', 'Authorization: Bearer <API key or OAuth access token> is required', { missing: true });
    } catch (error) {
      if (!(error instanceof AuthError) || error.code === 'forbidden') throw error;
      if (error.code === 'invalid_token' || error.code === 'invalid_request') {
        error.wwwAuthenticate = bearerChallenge(error, o.challenge);
        throw error;
      }
      // The gateway failed (store, key ring), not the credential: an internal error (logged, a generic 500), whose
      // message (paths, database errors) is no answer for an unauthenticated client.
      throw new Error(`authentication failed internally: ${error.message}`, { cause: error });
    }
  };
}
