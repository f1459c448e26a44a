import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAudit } from '../../runtime/audit/logger.ts';
import { createStdoutSink } from '../../runtime/audit/sinks/stdout.ts';
import { AUDIT_EVENTS, AUDIT_FIELDS, maskSecrets, sanitize } from '../../runtime/audit/sanitize.ts';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { captureLogger, fullRecord, memoryStream, tempDir } from './helpers.ts';

test('every field of every event type round-trips through the file and stdout sinks', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  const out = memoryStream();
  const { logger } = captureLogger();
  const audit = createAudit({
    sinks: [{ type: 'file', path }],
    logger,
    writers: [createStdoutSink(out.stream, 'stdout-capture')],
  });
  const records = AUDIT_EVENTS.map((event, i) => fullRecord({ event, request_id: `req-${i}` }));
  for (const rec of records) audit.record(rec);
  await audit.close();
  for (const text of [readFileSync(path, 'utf8'), out.text()]) {
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    assert.equal(lines.length, records.length);
    lines.forEach((line, i) => {
      assert.deepEqual(line, records[i]);
      assert.deepEqual(Object.keys(line), [...AUDIT_FIELDS], 'all fields, in the fixed order');
    });
  }
});

test('sanitize keeps only known fields with the right types', () => {
  const rec = sanitize({
    ...fullRecord(),
    args: { password: 'hunter2' },
    token: 'abc',
    moodle_user_id: 'not-a-number',
    access: 'admin',
    decision: 'maybe',
    course_ids: [1, 'x', 2],
    course_refs: ['forum_discussion at discussionid via resolver (local_moodlemcp_resolve_courses): course 2', 7],
    arg_keys: ['a', 5, 'b'],
    status: Infinity,
  });
  assert.equal('args' in rec, false);
  assert.equal('token' in rec, false);
  assert.equal(rec.moodle_user_id, undefined);
  assert.equal(rec.access, undefined);
  assert.equal(rec.decision, undefined);
  assert.equal(rec.status, undefined);
  assert.deepEqual(rec.course_ids, [1, 2]);
  assert.deepEqual(rec.course_refs, ['forum_discussion at discussionid via resolver (local_moodlemcp_resolve_courses): course 2']);
  assert.deepEqual(rec.arg_keys, ['a', 'b']);
});

test('sanitize fills a missing timestamp, marks a malformed event and strips control characters', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');
  const rec = sanitize({ event: 'Bad Event!', client_name: 'line1\nline2\u001b[31m' }, () => now);
  assert.equal(rec.timestamp, now.toISOString());
  assert.equal(rec.event, 'invalid');
  assert.equal(rec.client_name, 'line1 line2 [31m');
  assert.equal(sanitize('nonsense' as unknown).event, 'invalid');
});

test('token-looking strings are masked in free text', () => {
  assert.equal(maskSecrets('Bearer abcdefghijklmnop'), '[redacted]');
  assert.equal(maskSecrets('got wstoken=0123456789abcdef0123456789abcdef end'), 'got wstoken=[redacted] end');
  assert.equal(maskSecrets('x 0123456789abcdef0123456789abcdef y'), 'x [redacted] y');
  assert.equal(maskSecrets('password: hunter2'), 'password: [redacted]');
  assert.equal(maskSecrets('profile=default'), 'profile=default');
});

test('a planted secret appears in no record and no log line', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  const { logger, lines: logLines } = captureLogger();
  const out = memoryStream();
  const SECRET_TOKEN = 'f00dfacecafebeef0123456789abcdef';
  const SECRET_PASSWORD = 'Pa55w0rd-Planted';
  const SECRET_ARG = 'argument-value-planted-xyz';
  const audit = createAudit({
    sinks: [{ type: 'file', path }],
    logger,
    writers: [createStdoutSink(out.stream, 'stdout-capture')],
  });
  audit.record({
    ...fullRecord(),
    token: SECRET_TOKEN,
    password: SECRET_PASSWORD,
    args: { message: SECRET_ARG },
    arguments: [SECRET_ARG],
    detail: `wstoken=${SECRET_TOKEN} Authorization: Bearer ${SECRET_TOKEN}`,
    reasons: [`password=${SECRET_PASSWORD}`],
    user_agent: `curl token=${SECRET_TOKEN}`,
  } as unknown as AuditRecord);
  await audit.close();
  const everything = [readFileSync(path, 'utf8'), out.text(), ...logLines].join('\n');
  assert.ok(everything.includes('teacher1'), 'the record itself was written');
  for (const secret of [SECRET_TOKEN, SECRET_PASSWORD, SECRET_ARG]) assert.equal(everything.includes(secret), false, `leaked ${secret}`);
});
