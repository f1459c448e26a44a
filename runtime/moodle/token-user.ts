/** Who a Moodle token belongs to, as the connection sees it. */
import type { MoodleUser } from '../auth/types.ts';
import { isSiteAdmin, type SiteInfo } from './site-info.ts';

/** The connection's view of a site info answer. */
export function moodleUserFromSiteInfo(info: SiteInfo): MoodleUser {
  return { id: info.userid, username: info.username, fullname: info.fullname, isSiteAdmin: isSiteAdmin(info) };
}
