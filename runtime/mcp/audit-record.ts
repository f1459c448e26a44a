import type { AuditEvent, AuditRecord } from '../audit/types.ts';
import type { CallContext } from './context.ts';

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
