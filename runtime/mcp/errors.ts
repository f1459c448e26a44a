/**
 * A tool-level failure: becomes an `isError` tool result (never a JSON-RPC error), with a status for the audit trail.
 * `code` is ours (`invalid_arguments`, `denied`, `unknown_function`, `function_not_on_site`, `audit_unavailable`) or Moodle's errorcode.
 */
export class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: { reasons?: string[]; issues?: { path: string; message: string }[]; moodleErrorcode?: string } = {},
  ) {
    super(message);
    this.name = 'ToolError';
  }
}
