import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { translator } from './translate.ts';

/**
 * The policy's refusal reasons (policies/moodle_mcp.rego builds them in English with concat) mapped to catalog keys,
 * so AI clients get them in the person's language while the audit trail keeps the English text. Each template is the
 * Rego text with `{name}` where concat inserts a value; values (function names, patterns, IPs...) are kept as they
 * are. The Rego is not changed for this: a reason no template matches is sent in English.
 */
export const REASON_TEMPLATES: readonly { template: string; key: string }[] = [
  { template: 'invalid policy input: {detail}', key: 'reason.invalidInput' },
  { template: 'policy error: {detail}', key: 'reason.policyError' },
  { template: 'unknown profile {profile}', key: 'reason.unknownProfile' },
  { template: 'the gateway is read-only: write functions are disabled', key: 'reason.readOnly' },
  { template: 'scope {scope} is required for read functions', key: 'reason.scopeRequiredRead' },
  { template: 'scope {scope} is required for write functions', key: 'reason.scopeRequiredWrite' },
  { template: 'scope {scope} is required for {access} functions', key: 'reason.scopeRequired' },
  { template: 'profile {profile} does not grant scope {scope}', key: 'reason.profileScope' },
  { template: 'client IP {ip} is not in the ip_allow list of profile {profile}', key: 'reason.ip' },
  { template: 'function {function} is denied by pattern {pattern}', key: 'reason.deniedPattern' },
  { template: 'function {function} is not allowed by any pattern of profile {profile}', key: 'reason.notAllowed' },
  { template: 'the course references of this call could not be resolved (course restriction)', key: 'reason.courseUnresolved' },
  { template: '{entity} ids can be checked only when the local_moodlemcp resolver is enabled on the Moodle site (course restriction)', key: 'reason.courseNoResolver' },
  { template: '{entity} named by this call: not in a course this user can access, or could not be looked up (course restriction)', key: 'reason.courseUnknown' },
  { template: '{entity} reference of this call is not an id (course restriction)', key: 'reason.courseInvalid' },
  { template: 'this call names too many entities to check their courses ({entity}) (course restriction)', key: 'reason.courseTooMany' },
  { template: '{entity} ids of this function cannot be mapped to a course: refused under a course restriction', key: 'reason.courseUnmappable' },
  { template: 'the answer names no course that can be checked (course restriction)', key: 'reason.courseNoAnswerCourse' },
  { template: '{entity} references could not be mapped to a course (course restriction)', key: 'reason.courseGap' },
  { template: 'course {course} is not allowed for profile {profile}', key: 'reason.courseNotAllowed' },
  { template: '{function} references no course and is not a site-level function (course restriction)', key: 'reason.noCourse' },
  { template: 'rate limit reached: {limit} calls per minute for this connection', key: 'reason.rateConnection' },
  { template: 'rate limit reached: {limit} calls per minute for {function}', key: 'reason.rateFunction' },
  { template: 'site administrator tokens are not allowed for profile {profile}', key: 'reason.siteAdmin' },
  { template: 'course restriction: result field {fields} names a course not in the profile\'s courses', key: 'reason.resultCourse' },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const MATCHERS = REASON_TEMPLATES.map(({ template, key }) => ({
  key,
  pattern: new RegExp(`^${template.split(/(\{\w+\})/).map((part) => (/^\{\w+\}$/.test(part) ? `(?<${part.slice(1, -1)}>.+?)` : escape(part))).join('')}$`, 's'),
}));

/** The catalog key and placeholder values of an English policy reason; null when no template matches. */
export function reasonKey(reason: string): { key: string; values: Record<string, string> } | null {
  for (const { key, pattern } of MATCHERS) {
    const m = pattern.exec(reason);
    if (m) return { key, values: { ...m.groups } };
  }
  return null;
}

/** One policy reason in `locale`; unknown reasons (and English) are returned unchanged. */
export function translateReason(reason: string, locale: Locale): string {
  if (locale === DEFAULT_LOCALE) return reason;
  const found = reasonKey(reason);
  return found ? translator(locale)(found.key, found.values) : reason;
}

/** The headlines of a policy refusal (runtime/mcp/pipeline.ts) as templates; the reasons follow them. */
const REFUSAL = /^The gateway's policy refused (?<function>.+)\.$/s;
const WITHHELD = /^The gateway's policy withheld the answer of (?<function>.+)\.$/s;

/** The refusal headline in `locale`; other texts are returned unchanged. */
export function translateRefusal(message: string, locale: Locale): string {
  if (locale === DEFAULT_LOCALE) return message;
  const m = REFUSAL.exec(message);
  if (m) return translator(locale)('reason.refused', { function: m.groups!.function });
  const w = WITHHELD.exec(message);
  return w ? translator(locale)('reason.withheld', { function: w.groups!.function }) : message;
}
