import type { AuditDecision, AuditEvent, AuditRecord } from './types.ts';

/** Every AuditRecord field, in the fixed order used for CSV columns. */
export const AUDIT_FIELDS = [
  'timestamp', 'event', 'request_id', 'session_id', 'connection_id', 'client_id', 'client_name',
  'moodle_user_id', 'moodle_username', 'auth_method', 'client_ip', 'user_agent', 'mcp_method', 'tool',
  'moodle_function', 'access', 'arg_keys', 'course_ids', 'course_refs', 'decision', 'reasons', 'moodle_errorcode',
  'status', 'duration_ms', 'response_bytes', 'file_name', 'file_size', 'file_type', 'context_id', 'policy_version', 'detail',
] as const satisfies readonly (keyof AuditRecord)[];

export const AUDIT_EVENTS: readonly AuditEvent[] = [
  'tools/call', 'tools/list', 'session.start', 'session.end', 'auth.signin.ok', 'auth.signin.failed',
  'auth.token.rejected', 'auth.client_metadata.refused', 'auth.token.issued', 'auth.token.refreshed', 'auth.token.revoked', 'auth.key.created', 'auth.key.revoked',
  'auth.moodle_token.revoked',
  'policy.loaded', 'policy.rejected', 'rate_limit.hit', 'privacy.export', 'privacy.erase',
];
const EVENT_NAME = /^[a-z][a-z0-9_./-]{0,63}$/;
/** Every AuditDecision value. */
export const DECISIONS: readonly AuditDecision[] = ['allowed', 'denied', 'error'];

const STRING_FIELDS = [
  'request_id', 'session_id', 'connection_id', 'client_id', 'client_name', 'moodle_username', 'auth_method',
  'client_ip', 'user_agent', 'mcp_method', 'tool', 'moodle_function', 'moodle_errorcode', 'file_name', 'file_type', 'policy_version', 'detail',
] as const;
const NUMBER_FIELDS = ['moodle_user_id', 'status', 'duration_ms', 'response_bytes', 'file_size', 'context_id'] as const;
/** Free-text fields that could carry a pasted secret; token-looking substrings are masked there. */
const FREE_TEXT = new Set(['client_name', 'user_agent', 'moodle_errorcode', 'file_name', 'detail']);

const MAX_STRING = 1024;
const MAX_ITEMS = 256;
/** Moodle web service tokens (32 hex), bearer/basic credentials, JWT-like strings and key=value secrets. */
const SECRET_PATTERNS: RegExp[] = [
  /\b(?:bearer|basic|splunk)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b[0-9a-fA-F]{32,}\b/g,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  /\b(token|wstoken|password|passwd|secret|api[_-]?key|authorization)(\s*[=:]\s*)[^\s,;&]+/gi,
];

/** Cheap pre-check: every pattern above needs one of these (case-insensitive) or a long hex run. */
const MAYBE_SECRET = /bearer|basic|splunk|[0-9a-fA-F]{32}|eyJ|token|passw|secret|api[_-]?key|authorization/i;
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const CONTROL_ALL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** Masks substrings that look like credentials in free-form text. */
export function maskSecrets(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, name?: string, sep?: string) =>
      typeof name === 'string' && typeof sep === 'string' ? `${name}${sep}[redacted]` : '[redacted]',
    );
  }
  return out;
}

function cleanString(value: unknown, freeText: boolean): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Control characters other than tab are dropped (log injection); long values are cut.
  let text = value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (CONTROL.test(text)) text = text.replace(CONTROL_ALL, ' ');
  if (freeText) text = maskSecrets(text);
  return text;
}

/**
 * Defensive whitelist: returns a new record holding only the known AuditRecord fields with the right types.
 * Anything else (accidental `args`, `token`, `password`, nested objects) is dropped, free text is scrubbed of
 * token-looking strings, and a missing or invalid timestamp is replaced by the current time. Never throws.
 */
export function sanitize(input: unknown, now: () => Date = () => new Date()): AuditRecord {
  const src = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  // Unknown but well-formed event names are kept (another layer may add events); anything else is marked.
  const event = typeof src.event === 'string' && EVENT_NAME.test(src.event) ? src.event : 'invalid';
  const out: Record<string, unknown> = { event };
  out.timestamp =
    typeof src.timestamp === 'string' && CANONICAL_TIME.test(src.timestamp)
      ? src.timestamp
      : typeof src.timestamp === 'string' && !Number.isNaN(Date.parse(src.timestamp))
        ? new Date(src.timestamp).toISOString()
        : now().toISOString();
  for (const key of STRING_FIELDS) {
    const value = cleanString(src[key], FREE_TEXT.has(key));
    if (value !== undefined) out[key] = value;
  }
  for (const key of NUMBER_FIELDS) {
    const value = src[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  if (src.access === 'read' || src.access === 'write') out.access = src.access;
  if (DECISIONS.includes(src.decision as AuditDecision)) out.decision = src.decision;
  if (Array.isArray(src.arg_keys)) {
    out.arg_keys = src.arg_keys.filter((k) => typeof k === 'string').slice(0, MAX_ITEMS).map((k) => cleanString(k, false)!);
  }
  if (Array.isArray(src.course_ids)) {
    out.course_ids = src.course_ids.filter((c) => typeof c === 'number' && Number.isFinite(c)).slice(0, MAX_ITEMS);
  }
  if (Array.isArray(src.course_refs)) {
    out.course_refs = src.course_refs.filter((r) => typeof r === 'string').slice(0, MAX_ITEMS).map((r) => cleanString(r, false)!);
  }
  if (Array.isArray(src.reasons)) {
    out.reasons = src.reasons.filter((r) => typeof r === 'string').slice(0, MAX_ITEMS).map((r) => cleanString(r, true)!);
  }
  const ordered: Record<string, unknown> = {};
  for (const key of AUDIT_FIELDS) if (out[key] !== undefined) ordered[key] = out[key];
  return ordered as unknown as AuditRecord;
}
