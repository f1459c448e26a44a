/** The connection model shared by API keys, OAuth grants, demo keys and stdio. */

export type Scope = 'api.read' | 'api.write';
export type AuthMethod = 'oauth' | 'apikey' | 'config-key' | 'demo' | 'stdio';

/** Who the Moodle token belongs to, as core_webservice_get_site_info reports it. */
export interface MoodleUser {
  id: number;
  username: string;
  fullname?: string;
  isSiteAdmin: boolean;
  /** The person's Moodle language (site info `lang`, which Moodle falls back to the site's): refusals are sent in it. */
  lang?: string;
  /** The most bytes one file of this person may have in an upload (site info `usermaxuploadfilesize`, when positive). */
  maxUploadBytes?: number;
}

/**
 * Every authenticated caller is a connection: what the policy sees about "who".
 * `moodleToken` is the secret used to call Moodle as this person: never log it, never audit it.
 */
export interface Connection {
  id: string;
  authMethod: AuthMethod;
  /** Profile name in moodle-mcp.config.yaml `profiles`. */
  profile: string;
  scopes: Scope[];
  moodleToken: string;
  /** Filled after the token was checked with core_webservice_get_site_info. */
  moodleUser?: MoodleUser;
  /**
   * true when the token's service enables local_moodlemcp_resolve_courses (the site info's `functions`, read with
   * moodleUser): course references that Moodle's own functions can't map are then resolved by it. Not stored.
   */
  courseResolver?: boolean;
  /**
   * The functions the token's site info lists (read with moodleUser; shared by tokens with the same list): calls to
   * catalog functions outside it are refused and such functions are not listed. Undefined: unknown (no check). Not stored.
   */
  siteFunctions?: { readonly id: string; readonly names: ReadonlySet<string> };
  client?: { id: string; name?: string };
  createdAt?: string;
  lastUsedAt?: string;
  expiresAt?: string;
}
