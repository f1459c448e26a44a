import { LRUCache } from 'lru-cache';
import { bearerChallenge, type ChallengeOptions } from '../auth/challenge.ts';
import { AuthError } from '../auth/errors.ts';
import { checkMoodleToken } from '../auth/moodle-user.ts';
import type { Connection, MoodleUser } from '../auth/types.ts';
import { MoodleError, type MoodleClient } from '../moodle/index.ts';
import { moodleUserFromSiteInfo } from '../moodle/token-user.ts';
import { enablesCourseResolver } from '../moodle/site-info.ts';
import { SiteFunctionSets, type SiteFunctions } from '../moodle/site-functions.ts';
import { tokenId } from '../shared/token-id.ts';
import { GatewayAuthError } from './errors.ts';

/**
 * Who a connection's Moodle token belongs to (core_webservice_get_site_info, cached by a hash of the token, never by
 * the token itself), and the site-admin guard: an administrator's token bypasses Moodle's capability checks.
 * Checked on every request, stored connections included: the user recorded when a key or grant was created may have
 * become a site administrator since.
 */
export function createIdentifier(options: {
  moodle: MoodleClient;
  allowSiteAdminTokens: boolean;
  /** The auth layer's 401 challenge (GatewayAuth.challenge). */
  challenge: ChallengeOptions;
  /** Moodle answered `invalidtoken`: the token was deleted there (revokes the stored connection; true when it did). */
  onInvalidToken?: (connection: Connection) => Promise<boolean>;
  /** The function lists seen in site info (shared per distinct list); default: a private one. */
  siteFunctionSets?: SiteFunctionSets;
}): (connection: Connection) => Promise<Connection> {
  const identities = new LRUCache<string, MoodleUser>({ max: 10_000, ttl: 10 * 60_000 });
  // What the token's service offers, from the same site info (and refreshed with it): the course resolver, and the
  // functions the site lists for it (calls to others are refused, and they are not listed).
  const services = new LRUCache<string, { resolver: boolean; functions?: SiteFunctions }>({ max: 10_000, ttl: 10 * 60_000 });
  const functionSets = options.siteFunctionSets ?? new SiteFunctionSets();
  async function userOf(token: string, connection?: Connection): Promise<MoodleUser> {
    const key = tokenId(token);
    let user = identities.get(key);
    if (!user) {
      try {
        const info = await options.moodle.getSiteInfo(token);
        user = moodleUserFromSiteInfo(info);
        services.set(key, { resolver: enablesCourseResolver(info), functions: functionSets.of(info) });
      } catch (error) {
        if (error instanceof MoodleError && error.code === 'invalidtoken' && connection && (await options.onInvalidToken?.(connection))) {
          const refused = new AuthError('invalid_token', 'this connection was revoked: its Moodle token was deleted in Moodle (invalidtoken); sign in again');
          throw new GatewayAuthError(401, refused.message, bearerChallenge(refused, options.challenge));
        }
        if (error instanceof MoodleError && !error.isTransport) {
          const refused = new AuthError('invalid_token', `Moodle refused this connection's token (${error.code})`);
          throw new GatewayAuthError(401, refused.message, bearerChallenge(refused, options.challenge));
        }
        throw new GatewayAuthError(503, 'Moodle is unreachable: cannot check the connection token');
      }
      identities.set(key, user);
    }
    return user;
  }
  return async (connection) => {
    const user = await checkMoodleToken((token) => userOf(token, connection), connection.moodleToken, options.allowSiteAdminTokens);
    const service = services.get(tokenId(connection.moodleToken));
    return { ...connection, moodleUser: user, courseResolver: service?.resolver === true, siteFunctions: service?.functions };
  };
}
