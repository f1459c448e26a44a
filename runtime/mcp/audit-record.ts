import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditEvent, AuditRecord } from '../audit/types.ts';
import type { CallContext } from './context.ts';
import type { ToolError } from './errors.ts';
import { errorResult, issueLine } from './render.ts';
import { localeFromMoodleLang } from '../i18n/locales.ts';

/** The "who, from where, when" part of an audit record, from the caller's context. */
export function callerRecord(ctx: CallContext, event: AuditEvent, startedMs: number): AuditRecord {
  const c = ctx.connection;
  return {
    event,
    timestamp: new Date(startedMs).toISOString(),
    request_id: ctx.requestId,
    session_id: ctx.sessionId,
    connection_id: c.id,
    client_id: c.client?.id,
    client_name: c.client?.name,
    moodle_user_id: c.moodleUser?.id,
    moodle_username: c.moodleUser?.username,
    auth_method: c.authMethod,
    client_ip: ctx.clientIp,
    user_agent: ctx.userAgent,
  };
}

/** The audit record of one `tools/call` (pipeline or meta-tool), written once with its outcome. */
export interface ToolCallAudit {
  /** The record so far: stages add what they learn (access, course ids) before the outcome is written. */
  readonly record: AuditRecord;
  /** Writes the record with the outcome's `fields` and the duration; returns `result`. */
  finish(result: CallToolResult, fields: Partial<AuditRecord>): CallToolResult;
  /**
   * Writes a failed call (decision, status, the policy's reasons or the invalid argument paths with their issues,
   * never argument values, and Moodle's errorcode) and returns its `isError` result.
   */
  fail(error: ToolError): CallToolResult;
}

/** Starts the audit record of a `tools/call` of `tool` at `startedMs`; `fields` are known up front (function, argument keys). */
export function toolCallAudit(
  deps: { audit(record: AuditRecord): void; now(): number; policyVersion(): string },
  ctx: CallContext,
  tool: string,
  startedMs: number,
  fields: Partial<AuditRecord> = {},
): ToolCallAudit {
  const record: AuditRecord = {
    ...callerRecord(ctx, 'tools/call', startedMs),
    mcp_method: 'tools/call',
    tool,
    ...fields,
    policy_version: deps.policyVersion(),
  };
  const finish = (result: CallToolResult, outcome: Partial<AuditRecord>): CallToolResult => {
    deps.audit({ ...record, ...outcome, duration_ms: deps.now() - startedMs });
    return result;
  };
  return {
    record,
    finish,
    fail: (error) =>
      finish(errorResult(error, localeFromMoodleLang(ctx.connection.moodleUser?.lang)), {
        decision: error.code === 'denied' ? 'denied' : 'error',
        status: error.status,
        reasons: error.details.reasons ?? error.details.issues?.map(issueLine),
        moodle_errorcode: error.details.moodleErrorcode,
      }),
  };
}
