import { moodleUserFromSiteInfo } from '../moodle/token-user.ts';
import type { SiteInfo } from '../moodle/site-info.ts';
import { AuthError } from './errors.ts';
import type { MoodleUser } from './types.ts';

/** Injected Moodle check: `core_webservice_get_site_info` for a token (MoodleClient.getSiteInfo fits). */
export type GetSiteInfo = (token: string) => Promise<SiteInfo | MoodleUser>;

/**
 * Resolves the token's user and refuses a site administrator unless allowed; the refusal names `setting`, the config
 * key that allows them for this caller. Moodle's own errors pass through.
 */
export async function checkMoodleToken(
  getSiteInfo: GetSiteInfo,
  token: string,
  allowSiteAdmin: boolean,
  setting = 'moodle.allow_site_admin_tokens',
): Promise<MoodleUser> {
  const info = await getSiteInfo(token);
  const user = 'userid' in info ? moodleUserFromSiteInfo(info) : info;
  if (user.isSiteAdmin && !allowSiteAdmin)
    throw new AuthError(
      'forbidden',
      `the Moodle account "${user.username}" is a site administrator, whose token bypasses Moodle's capability checks; use an ordinary account (or ${setting} in the config)`,
    );
  return user;
}
