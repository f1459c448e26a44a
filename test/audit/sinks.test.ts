import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { AuditError, AuditUnavailableError } from '../../runtime/audit/errors.ts';
import { createAudit } from '../../runtime/audit/logger.ts';
import { listAuditFiles } from '../../runtime/audit/files.ts';
import { readAuditRecords } from '../../runtime/audit/read.ts';
import { formatSyslog } from '../../runtime/audit/sinks/syslog.ts';
import { createFileSink } from '../../runtime/audit/sinks/file.ts';
import { captureLogger, closedPort, fullRecord, startServer, tempDir, waitFor } from './helpers.ts';

const fastRetry = { baseMs: 2, maxMs: 20 };

test('http sink: splunk-hec wraps events with time and sends the Splunk token', async (t) => {
  const { url, received } = await startServer(t);
  const audit = createAudit({
    sinks: [{ type: 'http', url, format: 'splunk-hec', token_env: 'HEC_TOKEN', index: 'moodle', batch_size: 2 }],
    env: { HEC_TOKEN: 'hec-secret' },
    logger: captureLogger().logger,
  });
  for (let i = 0; i < 5; i++) audit.record(fullRecord({ request_id: `r${i}` }));
  await audit.close();
  assert.ok(received.length >= 3, 'batches of at most 2');
  assert.equal(received[0].headers.authorization, 'Splunk hec-secret');
  assert.equal(received[0].headers['content-type'], 'application/json');
  const events = received.flatMap((r) => r.body.trimEnd().split('\n').map((l) => JSON.parse(l)));
  assert.equal(events.length, 5);
  assert.equal(events[0].time, Date.parse('2026-03-01T10:20:30.123Z') / 1000);
  assert.equal(events[0].index, 'moodle');
  assert.deepEqual(events.map((e) => e.event.request_id), ['r0', 'r1', 'r2', 'r3', 'r4']);
});

test('http sink: elasticsearch-bulk sends NDJSON action lines and counts rejected items', async (t) => {
  const { url, received } = await startServer(t, () => 200, (req) => {
    const docs = req.body.trimEnd().split('\n').length / 2;
    const items = Array.from({ length: docs }, (_, i) => ({ index: { status: i === 0 ? 400 : 201 } }));
    return JSON.stringify({ errors: true, items });
  });
  const audit = createAudit({
    sinks: [{ type: 'http', url, format: 'elasticsearch-bulk', index: 'audit', token_env: 'ES_KEY' }],
    env: { ES_KEY: 'es-key' },
    logger: captureLogger().logger,
  });
  audit.record(fullRecord({ request_id: 'a' }));
  audit.record(fullRecord({ request_id: 'b' }));
  await audit.close();
  const body = received.map((r) => r.body).join('');
  const lines = body.trimEnd().split('\n');
  assert.equal(received[0].headers['content-type'], 'application/x-ndjson');
  assert.equal(received[0].headers.authorization, 'ApiKey es-key');
  assert.deepEqual(JSON.parse(lines[0]), { index: { _index: 'audit' } });
  assert.equal(JSON.parse(lines[1]).request_id, 'a');
  const stats = audit.stats();
  assert.equal(stats.written + Object.values(stats.dropped)[0], 2);
  assert.ok(Object.values(stats.dropped)[0] >= 1, 'item rejected by ES counted as dropped');
});

test('http sink: a 413 answer splits the batch instead of wedging the sink', async (t) => {
  const { url, received } = await startServer(t, (_i, req) => (req.body.trimEnd().split('\n').length > 2 ? 413 : 200));
  const audit = createAudit({ sinks: [{ type: 'http', url, batch_size: 8 }], logger: captureLogger().logger });
  for (let i = 0; i < 8; i++) audit.record(fullRecord({ request_id: `s${i}` }));
  await audit.close();
  const accepted = received.filter((r) => r.body.trimEnd().split('\n').length <= 2);
  assert.deepEqual(accepted.flatMap((r) => r.body.trimEnd().split('\n').map((l) => JSON.parse(l).request_id)), ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
  assert.equal(audit.stats().written, 8);
});

test('http sink: a missing token env var is a clear configuration error', () => {
  assert.throws(
    () => createAudit({ sinks: [{ type: 'http', url: 'http://127.0.0.1:1/x', token_env: 'NOPE' }], env: {} }),
    (e: unknown) => e instanceof AuditError && /token_env.*NOPE/.test((e as Error).message),
  );
  assert.throws(() => createAudit({ sinks: [{ type: 'nope' } as never] }), /audit\.sinks\[0\]\.type/);
});

test('failing sink without fail_closed: healthy stays true, record never throws, drops counted', async (t) => {
  const { url, received } = await startServer(t, () => 500);
  const { logger, lines } = captureLogger();
  const audit = createAudit({ sinks: [{ type: 'http', url, batch_size: 5 }], bufferSize: 10, retry: fastRetry, logger, closeTimeoutMs: 50 });
  for (let i = 0; i < 30; i++) audit.record(fullRecord());
  await waitFor(() => received.length >= 2, 'retries');
  const name = Object.keys(audit.stats().sinks)[0];
  assert.equal(audit.stats().sinks[name].healthy, false);
  assert.equal(audit.healthy(), true, 'not fail_closed: calls continue');
  assert.doesNotThrow(() => audit.assertAvailable());
  assert.ok(audit.stats().dropped[name] >= 15, 'records beyond the buffer dropped');
  await audit.close();
  assert.equal(audit.stats().dropped[name], 30, 'everything undelivered is counted at close');
  assert.ok(lines.some((l) => l.includes('audit records dropped')), 'drops logged');
  assert.ok(lines.some((l) => l.includes('cannot write')), 'failure logged');
});

test('failing sink with fail_closed: healthy flips to false and back after recovery', async (t) => {
  let failing = true;
  const { url, received } = await startServer(t, () => (failing ? 500 : 200));
  const audit = createAudit({ sinks: [{ type: 'http', url }], failClosed: true, retry: fastRetry, logger: captureLogger().logger });
  assert.equal(audit.healthy(), true);
  audit.record(fullRecord({ request_id: 'kept' }));
  await waitFor(() => !audit.healthy(), 'unhealthy');
  assert.throws(() => audit.assertAvailable(), AuditUnavailableError);
  failing = false;
  await waitFor(() => audit.healthy(), 'recovered');
  await audit.close();
  assert.equal(JSON.parse(received.at(-1)!.body).request_id, 'kept', 'the retried record arrived');
  assert.equal(audit.stats().written, 1);
});

test('closed port with fail_closed: unhealthy, record() neither throws nor blocks, close() ends', async (t) => {
  const port = await closedPort();
  const audit = createAudit({
    sinks: [{ type: 'http', url: `http://127.0.0.1:${port}/x`, timeout_ms: 1000 }],
    failClosed: true,
    bufferSize: 5,
    retry: fastRetry,
    closeTimeoutMs: 30,
    logger: captureLogger().logger,
  });
  t.after(() => audit.close());
  const name = Object.keys(audit.stats().sinks)[0];
  audit.record(fullRecord());
  await waitFor(() => audit.stats().sinks[name].failures > 0, 'a failed attempt');
  assert.equal(audit.healthy(), false);
  for (let i = 0; i < 99; i++) audit.record(fullRecord());
  const stats = audit.stats();
  assert.equal(stats.sinks[name].last_error, 'ECONNREFUSED');
  assert.equal(stats.dropped[name], 94, '1 in flight + 5 buffered, the rest dropped');
  await audit.close();
  assert.equal(audit.stats().dropped[name], 100);
  audit.record(fullRecord());
  assert.equal(audit.stats().dropped[name], 101, 'records after close are counted, not thrown');
});

test('no loss on close under concurrent load: 20k records to a file and an HTTP sink', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  const { url, received } = await startServer(t);
  const audit = createAudit({
    sinks: [{ type: 'file', path, rotate: { size_mb: 1, keep: 50 } }, { type: 'http', url, batch_size: 500 }],
    bufferSize: 20_000,
    logger: captureLogger().logger,
  });
  const producers = Array.from({ length: 100 }, async (_, p) => {
    for (let i = 0; i < 200; i++) {
      audit.record(fullRecord({ request_id: `${p}-${i}` }));
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  await Promise.all(producers);
  await audit.close();
  const files = await listAuditFiles(path);
  assert.ok(files.length > 1, 'rotated by size');
  const ids = new Set<string>();
  for await (const rec of readAuditRecords(path)) ids.add(rec.request_id!);
  assert.equal(ids.size, 20_000);
  const httpLines = received.reduce((n, r) => n + r.body.trimEnd().split('\n').length, 0);
  assert.equal(httpLines, 20_000);
  assert.deepEqual(Object.values(audit.stats().dropped), [0, 0]);
  assert.equal(audit.stats().recorded, 20_000);
});

test('file sink rotates daily and keeps N files', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  let now = new Date('2026-03-01T23:00:00Z');
  const sink = createFileSink(path, { daily: true, keep: 2 }, { now: () => now });
  for (const day of ['01', '02', '03', '04']) {
    now = new Date(`2026-03-${day}T12:00:00Z`);
    await sink.write([`{"event":"tools/call","timestamp":"2026-03-${day}T12:00:00.000Z"}\n`]);
  }
  await sink.close();
  assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
  assert.match(readFileSync(path, 'utf8'), /03-04/);
  assert.match(readFileSync(`${path}.1`, 'utf8'), /03-03/);
  assert.match(readFileSync(`${path}.2`, 'utf8'), /03-02/);
});

test('syslog: RFC 5424 framing over UDP and TCP', async (t) => {
  const line = `${JSON.stringify({ timestamp: '2026-03-01T10:20:30.123Z', event: 'tools/call', decision: 'denied' })}\n`;
  assert.equal(
    formatSyslog(line, 'moodle-mcp', 'gw1', 77),
    `<108>1 2026-03-01T10:20:30.123Z gw1 moodle-mcp 77 tools/call - ${line.trimEnd()}`,
  );

  const udp = createSocket('udp4');
  const datagrams: string[] = [];
  udp.on('message', (m) => datagrams.push(m.toString()));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  t.after(() => udp.close());

  const tcpData: Buffer[] = [];
  const tcp = createServer((s) => s.on('data', (d) => tcpData.push(d)));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  t.after(() => tcp.close());

  const audit = createAudit({
    sinks: [
      { type: 'syslog', host: '127.0.0.1', port: udp.address().port, protocol: 'udp' },
      { type: 'syslog', host: '127.0.0.1', port: (tcp.address() as { port: number }).port, protocol: 'tcp', app_name: 'gw' },
    ],
    logger: captureLogger().logger,
  });
  audit.record(fullRecord({ request_id: 'one' }));
  audit.record(fullRecord({ request_id: 'two', event: 'auth.signin.ok', decision: undefined }));
  await audit.close();
  await waitFor(() => datagrams.length === 2, 'udp datagrams');
  assert.match(datagrams[0], /^<110>1 2026-03-01T10:20:30.123Z \S+ moodle-mcp \d+ tools\/call - \{.*"request_id":"one"/);
  assert.match(datagrams[1], /^<110>1 \S+ \S+ moodle-mcp \d+ auth.signin.ok - /);
  await waitFor(() => Buffer.concat(tcpData).toString().includes('"two"'), 'tcp frames');
  const stream = Buffer.concat(tcpData).toString();
  const first = /^(\d+) /.exec(stream)!;
  const frame = stream.slice(first[0].length, first[0].length + Number(first[1]));
  assert.match(frame, /^<110>1 \S+ \S+ gw \d+ tools\/call - \{.*"one".*\}$/);
});

test('default stdout sink writes every record through a pipe before close() resolves', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'stdout-child.ts'), '5000'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, 5000);
  assert.equal(new Set(lines.map((l) => JSON.parse(l).request_id)).size, 5000);
  assert.equal(stdout.includes('never'), false);
});

test('an HTTP sink that never answers times out and reports unhealthy', async (t) => {
  const server = createHttpServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const audit = createAudit({
    sinks: [{ type: 'http', url: `http://127.0.0.1:${port}/`, timeout_ms: 30 }],
    failClosed: true,
    retry: fastRetry,
    closeTimeoutMs: 10,
    logger: captureLogger().logger,
  });
  t.after(() => audit.close());
  audit.record(fullRecord());
  const name = Object.keys(audit.stats().sinks)[0];
  await waitFor(() => audit.stats().sinks[name].failures > 0, 'a timed-out attempt');
  assert.equal(audit.stats().sinks[name].last_error, 'timeout');
  assert.equal(audit.healthy(), false);
  await audit.close();
  assert.equal(audit.stats().dropped[name], 1);
});

test('a writer with batchDelayMs gets the lines of calls made one after another in one write; close() still flushes', async () => {
  const { SinkQueue } = await import('../../runtime/audit/sink-queue.ts');
  const writes: string[][] = [];
  const queue = new SinkQueue({ name: 'w', maxBatch: 100, batchDelayMs: 20, async write(lines) { writes.push(lines); }, async close() {} }, 1000, fastRetry, () => {});
  for (let i = 0; i < 5; i++) {
    queue.push(`line ${i}\n`);
    await new Promise((resolve) => setImmediate(resolve)); // one call after another, a turn of the event loop apart
  }
  await queue.idle();
  assert.deepEqual(writes, [['line 0\n', 'line 1\n', 'line 2\n', 'line 3\n', 'line 4\n']], 'one write for the five lines');
  queue.push('last\n');
  await queue.close(1000);
  assert.deepEqual(writes.at(-1), ['last\n'], 'close() writes what is queued');
});

test('the file sink gathers lines for a moment: one lock file per batch, not per line', (t) => {
  const dir = tempDir(t);
  assert.equal(createFileSink(join(dir, 'audit.jsonl')).batchDelayMs, 10);
});
