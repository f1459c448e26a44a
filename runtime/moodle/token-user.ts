/** Who a Moodle token belongs to, as the connection sees it. */
import type { MoodleUser } from '../auth/types.ts';
import { isSiteAdmin, type SiteInfo } from './site-info.ts';

/** The connection's view of a site info answer. */
export function moodleUserFromSiteInfo(info: SiteInfo): MoodleUser {
  const user: MoodleUser = { id: info.userid, username: info.username, fullname: info.fullname, isSiteAdmin: isSiteAdmin(info) };
  if (typeof info.lang === 'string' && info.lang) user.lang = info.lang;
  // -1 (USER_CAN_IGNORE_FILE_SIZE_LIMITS) or absent: no site limit of its own (files.max_upload_bytes still applies).
  const maxUpload = Number(info.usermaxuploadfilesize);
  if (Number.isInteger(maxUpload) && maxUpload > 0) user.maxUploadBytes = maxUpload;
  return user;
}
