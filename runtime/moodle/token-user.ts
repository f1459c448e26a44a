/** Who a Moodle token belongs to, as the connection sees it. */
import type { MoodleUser } from '../auth/types.ts';
import { isSiteAdmin, type SiteInfo } from './site-info.ts';

/** The connection's view of a site info answer. */
export function moodleUserFromSiteInfo(info: SiteInfo): MoodleUser {
  const user: MoodleUser = { id: info.userid, username: info.username, fullname: info.fullname, isSiteAdmin: isSiteAdmin(info) };
  if (typeof info.lang === 'string' && info.lang) user.lang = info.lang;
  return user;
}
