import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { AuditRecord } from '../../runtime/audit/types.ts';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls a condition (no timing assertion: only a generous upper bound so a bug fails instead of hanging). */
export async function waitFor(cond: () => boolean, what = 'condition', maxMs = 10_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A pino logger whose lines are captured (to check that nothing secret is logged). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export function memoryStream(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** HTTP server on 127.0.0.1:0 answering with `status(requestIndex)`; records every request. */
export async function startServer(
  t: { after(fn: () => Promise<void> | void): void },
  status: (index: number, req: Received) => number = () => 200,
  respond: (req: Received) => string = () => '{}',
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const code = status(received.length, r);
      received.push(r);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(code < 300 ? respond(r) : '{"error":"failing on purpose"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/ingest`, received, server };
}

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
    decision: 'allowed',
    reasons: ['profile default allows core_course_*'],
    moodle_errorcode: 'invalidparameter',
    status: 200,
    duration_ms: 12.5,
    response_bytes: 2048,
    policy_version: '0123456789abcdef',
    detail: 'profile=default',
    ...over,
  };
}
