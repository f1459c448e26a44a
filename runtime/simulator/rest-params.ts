/** Splits a decoded REST request into its control keys (token, function, format) and the function's parameters. */
import type { PhpFormValue } from '../moodle/form.ts';

export interface RestRequestParts {
  token?: string;
  fn?: string;
  /** `json` only when asked for; Moodle's REST server defaults to XML. */
  format: 'json' | 'xml';
  params: Record<string, PhpFormValue>;
}

export function restControlKeys(decoded: Record<string, PhpFormValue>): RestRequestParts {
  const { wstoken, wsfunction, moodlewsrestformat, ...rest } = decoded;
  // moodlewssetting* (filter, fileurl, lang, timezone) are read by the server, not passed to the function.
  const params = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('moodlewssetting')));
  return {
    token: typeof wstoken === 'string' ? wstoken : undefined,
    fn: typeof wsfunction === 'string' ? wsfunction : undefined,
    format: moodlewsrestformat === 'json' ? 'json' : 'xml',
    params,
  };
}
