/**
 * What each Moodle PARAM_* type means for a JSON value sent by a client.
 *
 * Moodle validates a web-service argument by cleaning it with clean_param() and rejecting it when the cleaned
 * text differs from the input, so a PARAM_* type that deletes characters implies a pattern: the value passes
 * when it contains none of the deleted characters. Patterns here are deliberately a little more permissive
 * than Moodle where Moodle also consults site state (installed languages, themes, auth plugins, the
 * `extendedusernamechars` setting) or where its rule is intricate (PARAM_URL, PARAM_NOTAGS, PARAM_TEXT):
 * the gateway must never refuse what Moodle accepts; Moodle still has the last word.
 */

export interface ParamTypeInfo {
  /** JSON type of the value in a client's arguments. */
  json: 'integer' | 'number' | 'boolean' | 'string';
  /** ECMAScript (unicode mode) pattern implied by the type, for strings. */
  pattern?: string;
  /** Allowed values, when the type is an enumeration. */
  enum?: (string | number)[];
}

const PLUGIN = String.raw`^(?:[a-z](?:[a-z0-9_](?!__))*[a-z0-9]+)?$`;
const SAFEDIR = String.raw`^[a-zA-Z0-9_-]*$`;
const NO_CONTROL = String.raw`\x00-\x1f\x7f`;
const PHP_TRIM = String.raw` \t\n\r\x00\x0b`;

const TYPES: Record<string, ParamTypeInfo> = {
  int: { json: 'integer' },
  float: { json: 'number' },
  bool: { json: 'boolean' },
  permission: { json: 'integer', enum: [-1000, -1, 0, 1] },
  alpha: { json: 'string', pattern: String.raw`^[a-zA-Z]*$` },
  alphaext: { json: 'string', pattern: String.raw`^[a-zA-Z_-]*$` },
  alphanum: { json: 'string', pattern: String.raw`^[a-zA-Z0-9]*$` },
  alphanumext: { json: 'string', pattern: String.raw`^[a-zA-Z0-9_-]*$` },
  sequence: { json: 'string', pattern: String.raw`^[0-9,]*$` },
  safedir: { json: 'string', pattern: SAFEDIR },
  safepath: { json: 'string', pattern: String.raw`^[a-zA-Z0-9/_-]*$` },
  // PARAM_LANG and PARAM_THEME also require the language pack / theme to be installed.
  lang: { json: 'string', pattern: SAFEDIR },
  theme: { json: 'string', pattern: PLUGIN },
  plugin: { json: 'string', pattern: PLUGIN },
  area: { json: 'string', pattern: PLUGIN },
  auth: { json: 'string', pattern: PLUGIN },
  component: { json: 'string', pattern: String.raw`^(?:(?!.*__)[a-z][a-z0-9]*(?:_[a-z][a-z0-9_]*)?[a-z0-9]+)?$` },
  stringid: { json: 'string', pattern: String.raw`^(?:[a-zA-Z][a-zA-Z0-9.:/_-]*)?$` },
  capability: { json: 'string', pattern: String.raw`^[a-zA-Z0-9_/:-]*$` },
  // Moodle lower-cases and trims usernames; the allowed characters depend on $CFG->extendedusernamechars.
  username: { json: 'string', pattern: String.raw`^(?:[^\sA-Z](?:[^A-Z]*[^\sA-Z])?)?$` },
  email: { json: 'string', pattern: String.raw`^(?:[^\s@]+@[^\s@]+)?$` },
  file: { json: 'string', pattern: String.raw`^[^${NO_CONTROL}&<>"\x60|':\\/]*$` },
  path: { json: 'string', pattern: String.raw`^(?!.*\.\.)(?!.*//)(?!.*/\./)[^${NO_CONTROL}&<>"\x60|':\\]*$` },
  raw_trimmed: { json: 'string', pattern: String.raw`^(?![${PHP_TRIM}])[\s\S]*(?<![${PHP_TRIM}])$` },
  tag: { json: 'string', pattern: String.raw`^[^${NO_CONTROL}<>\x60]*$` },
  taglist: { json: 'string', pattern: String.raw`^[^${NO_CONTROL}<>\x60]*$` },
  timezone: { json: 'string', pattern: String.raw`^[a-zA-Z0-9_+./-]*$` },
  base64: { json: 'string', pattern: String.raw`^[A-Za-z0-9+/=\s]*$` },
};

/** The JSON meaning of a raw PARAM_* value (`"int"`, `"alphanum"`, ...); unknown and free-text types are plain strings. */
export function paramTypeInfo(type: string): ParamTypeInfo {
  return TYPES[type] ?? { json: 'string' };
}
