import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createAudit } from '../runtime/audit/logger.ts';
import { exportAudit } from '../runtime/audit/export.ts';
import { sanitize } from '../runtime/audit/sanitize.ts';
import type { AuditRecord } from '../runtime/audit/types.ts';

const sample: AuditRecord = {
  event: 'tools/call',
  timestamp: new Date().toISOString(),
  request_id: 'b1c1f5e2-0000-4000-8000-000000000001',
  session_id: 'sess-1',
  connection_id: 'conn-1',
  client_name: 'Claude Desktop',
  moodle_user_id: 42,
  moodle_username: 'teacher1',
  auth_method: 'oauth',
  client_ip: '203.0.113.9',
  user_agent: 'claude-ai/1.0',
  mcp_method: 'tools/call',
  tool: 'core_course_get_contents',
  moodle_function: 'core_course_get_contents',
  access: 'read',
  arg_keys: ['courseid', 'options'],
  course_ids: [2],
  decision: 'allowed',
  reasons: [],
  status: 200,
  duration_ms: 12,
  response_bytes: 2048,
  policy_version: '0123456789abcdef',
};

/** record() cost on the call path, end-to-end drain to a file sink, sanitize alone, CSV export. */
export default async function bench(): Promise<{ name: string; [column: string]: string | number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  const rows: { name: string; [column: string]: string | number }[] = [];
  try {
    const n = 100_000;
    let t = performance.now();
    for (let i = 0; i < n; i++) sanitize(sample);
    let ms = performance.now() - t;
    rows.push({ name: 'sanitize', records: n, 'µs/record': +((ms * 1000) / n).toFixed(2), 'records/s': Math.round(n / (ms / 1000)) });

    const path = join(dir, 'audit.log');
    const audit = createAudit({ sinks: [{ type: 'file', path }], bufferSize: n, logger: pino({ enabled: false }) });
    t = performance.now();
    for (let i = 0; i < n; i++) audit.record(sample);
    const callMs = performance.now() - t;
    await audit.close();
    ms = performance.now() - t;
    rows.push({ name: 'record() call path (file sink)', records: n, 'µs/record': +((callMs * 1000) / n).toFixed(2), 'records/s': Math.round(n / (callMs / 1000)) });
    rows.push({ name: 'record + drain to file + close', records: n, 'µs/record': +((ms * 1000) / n).toFixed(2), 'records/s': Math.round(n / (ms / 1000)) });

    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    t = performance.now();
    const { records } = await exportAudit({ file: path, format: 'csv', out: sink });
    ms = performance.now() - t;
    rows.push({ name: 'audit export --format csv', records, 'µs/record': +((ms * 1000) / records).toFixed(2), 'records/s': Math.round(records / (ms / 1000)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
