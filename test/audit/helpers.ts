import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { AuditRecord } from '../../runtime/audit/types.ts';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pino logger whose lines are captured (to check that nothing secret is logged). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export { memoryStream, startServer, waitFor } from '../helpers/io.ts';

/** A port nothing listens on (bound then released: the shared free-port helper). */
export { freePort as closedPort } from '../helpers/net.ts';

/** A record with every field set. */
export function fullRecord(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    event: 'tools/call',
    timestamp: '2026-03-01T10:20:30.123Z',
    request_id: 'req-1',
    session_id: 'sess-1',
    connection_id: 'conn-1',
    client_id: 'client-1',
    client_name: 'Claude Desktop',
    moodle_user_id: 42,
    moodle_username: 'teacher1',
    auth_method: 'oauth',
    client_ip: '203.0.113.9',
    user_agent: 'claude-ai/1.0',
    mcp_method: 'tools/call',
    tool: 'core_course_get_courses',
    moodle_function: 'core_course_get_courses',
    access: 'read',
    arg_keys: ['options', 'options.ids'],
    course_ids: [2, 3],
    course_refs: ['group at groupids[] via moodle (core_group_get_groups): course 2'],
    decision: 'allowed',
    reasons: ['profile default allows core_course_*'],
    moodle_errorcode: 'invalidparameter',
    status: 200,
    duration_ms: 12.5,
    response_bytes: 2048,
    file_name: 'syllabus.pdf',
    file_size: 48_213,
    file_type: 'application/pdf',
    context_id: 51,
    policy_version: '0123456789abcdef',
    detail: 'profile=default',
    ...over,
  };
}
