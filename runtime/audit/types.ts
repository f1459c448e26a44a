/**
 * One audit record per operation or security event. Never holds secrets or argument values:
 * only argument keys (top-level and nested key paths), ids and outcomes.
 */
export type AuditEvent =
  | 'tools/call'
  | 'tools/list'
  | 'session.start'
  | 'session.end'
  | 'auth.signin.ok'
  | 'auth.signin.failed'
  | 'auth.token.rejected'
  | 'auth.client_metadata.refused'
  | 'auth.token.issued'
  | 'auth.token.refreshed'
  | 'auth.token.revoked'
  | 'auth.key.created'
  | 'auth.key.revoked'
  | 'auth.moodle_token.revoked'
  | 'policy.loaded'
  | 'policy.rejected'
  | 'rate_limit.hit'
  | 'privacy.export'
  | 'privacy.erase';

export type AuditDecision = 'allowed' | 'denied' | 'error';

export interface AuditRecord {
  event: AuditEvent;
  /** ISO 8601 with milliseconds, UTC. */
  timestamp: string;
  request_id?: string;
  session_id?: string;
  connection_id?: string;
  client_id?: string;
  client_name?: string;
  moodle_user_id?: number;
  moodle_username?: string;
  auth_method?: string;
  client_ip?: string;
  user_agent?: string;
  mcp_method?: string;
  tool?: string;
  moodle_function?: string;
  access?: 'read' | 'write';
  arg_keys?: string[];
  course_ids?: number[];
  /** How each course reference of a restricted call was mapped (`group via moodle: course 2`); entity types, never ids. */
  course_refs?: string[];
  decision?: AuditDecision;
  reasons?: string[];
  moodle_errorcode?: string;
  /** HTTP-like status of the operation (200 ok, 401, 403, 429, 502 Moodle fault, ...). */
  status?: number;
  duration_ms?: number;
  response_bytes?: number;
  /** sha256 of the loaded policy WASM and its data, first 16 hex chars. */
  policy_version?: string;
  /** File tools: the file's name (never its content or URL with a token). */
  file_name?: string;
  /** File tools: the file's size in bytes. */
  file_size?: number;
  /** File tools: the content type Moodle served. */
  file_type?: string;
  /** File tools: the context id of a file read (its course is in course_ids when the profile restricts courses). */
  context_id?: number;
  /** Free-form, non-secret detail (e.g. sink name for drops, profile name). */
  detail?: string;
}
