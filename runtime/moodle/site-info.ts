import { RESOLVER_FUNCTION } from './plugin.ts';

/** The parts of `core_webservice_get_site_info` the gateway relies on (Moodle sends more). */
export interface SiteInfo {
  sitename: string;
  username: string;
  firstname: string;
  lastname: string;
  fullname: string;
  userid: number;
  siteurl: string;
  release: string;
  version: string;
  /** Functions the token's service enables (name and component version). */
  functions: { name: string; version: string }[];
  /** Present since Moodle 3.x; true for a site administrator. */
  userissiteadmin?: boolean;
  [key: string]: unknown;
}

/**
 * True when the site info belongs to a site administrator (whose token bypasses capability checks).
 * Fails closed: a missing or non-boolean `userissiteadmin` counts as admin, so such a token is refused.
 */
export function isSiteAdmin(info: Pick<SiteInfo, 'userissiteadmin'>): boolean {
  return info.userissiteadmin !== false;
}

/** True when the token's service enables local_moodlemcp_resolve_courses (the course resolver of our Moodle plugin). */
export function enablesCourseResolver(info: Pick<SiteInfo, 'functions'>): boolean {
  return Array.isArray(info.functions) && info.functions.some((f) => f?.name === RESOLVER_FUNCTION);
}
