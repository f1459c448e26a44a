/**
 * Who a Moodle token belongs to, and the admin-token guard: a site administrator's token bypasses every
 * Moodle capability check, so a connection may use one only when the config explicitly allows it.
 */
import type { MoodleUser } from '../auth/types.ts';
import type { MoodleClient } from './client.ts';
import { MoodleError } from './errors.ts';
import { isSiteAdmin, type SiteInfo } from './site-info.ts';

/** The connection's view of a site info answer. */
export function moodleUserFromSiteInfo(info: SiteInfo): MoodleUser {
  return { id: info.userid, username: info.username, fullname: info.fullname, isSiteAdmin: isSiteAdmin(info) };
}

/**
 * Calls core_webservice_get_site_info with `token` and returns its user. Throws MoodleError `site_admin_token`
 * for a site administrator's token unless `allowSiteAdmin` is true, and Moodle's own error (e.g. `invalidtoken`) otherwise.
 */
export async function resolveTokenUser(
  client: MoodleClient,
  token: string,
  options: { allowSiteAdmin?: boolean; signal?: AbortSignal } = {},
): Promise<{ user: MoodleUser; siteInfo: SiteInfo }> {
  const siteInfo = await client.getSiteInfo(token, { signal: options.signal });
  const user = moodleUserFromSiteInfo(siteInfo);
  if (user.isSiteAdmin && options.allowSiteAdmin !== true) {
    throw new MoodleError(
      'site_admin_token',
      `The Moodle token belongs to a site administrator ("${user.username}"), who bypasses Moodle's capability checks; use an ordinary user's token or allow it explicitly in the config (moodle.allow_site_admin_tokens and the profile's allow_site_admin).`,
    );
  }
  return { user, siteInfo };
}
