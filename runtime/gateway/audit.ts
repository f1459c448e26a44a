import type { Logger } from 'pino';
import { createAudit, type Audit } from '../audit/logger.ts';
import { createStdoutSink } from '../audit/sinks/stdout.ts';
import type { AuditRecord } from '../audit/types.ts';
import type { GatewayConfig } from '../config/index.ts';
import { callerRecord } from '../mcp/audit-record.ts';
import type { CallContext } from '../mcp/context.ts';

/** The audit trail from the config; in stdio mode the stdout sink writes to stderr (stdout carries MCP). */
export function createGatewayAudit(
  config: GatewayConfig,
  options: { stdio?: boolean; writers?: Parameters<typeof createAudit>[0]['writers']; log: Logger; env: NodeJS.ProcessEnv },
): Audit {
  const toStderr = options.stdio && config.audit.sinks.some((s) => s.type === 'stdout');
  return createAudit({
    sinks: options.stdio ? config.audit.sinks.filter((s) => s.type !== 'stdout') : config.audit.sinks,
    writers: [...(toStderr ? [createStdoutSink(process.stderr, 'stderr')] : []), ...(options.writers ?? [])],
    failClosed: config.audit.fail_closed,
    bufferSize: config.audit.buffer,
    webhook: config.audit.webhook,
    logger: options.log,
    env: options.env,
  });
}

/** A session start or end record; `reason` (why it ended) goes to `detail`. */
export function sessionRecord(event: 'session.start' | 'session.end', sessionId: string, ctx: CallContext, reason?: string): AuditRecord {
  const record = callerRecord({ ...ctx, sessionId }, event, Date.now());
  return reason ? { ...record, detail: reason } : record;
}
