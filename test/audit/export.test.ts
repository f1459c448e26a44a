import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { AUDIT_FIELDS } from '../../runtime/audit/sanitize.ts';
import { csvCell, csvRow, exportAudit, parseTime } from '../../runtime/audit/export.ts';
import { runAuditCommand } from '../../runtime/cli/audit.ts';
import { parseConfig } from '../../runtime/config/index.ts';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { fullRecord, memoryStream, tempDir } from './helpers.ts';

/** A validated gateway config with this audit section. */
const configWithAudit = (audit: object) => parseConfig(JSON.stringify({ profiles: { default: {} }, audit }), 'test.yaml', {});

/** Minimal RFC 4180 parser for checking what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

test('CSV cells: RFC 4180 quoting and formula-injection neutralisation', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`);
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tcmd'), "'\tcmd");
  assert.equal(csvCell('\rcmd'), `"'\rcmd"`);
  assert.equal(csvCell(['a', 'b']), 'a;b');
  assert.equal(csvCell([1, 2]), '1;2');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(42), '42');
});

test('CSV rows parse back to the same values in the fixed column order', () => {
  const rec = fullRecord({ client_name: 'Evil, "Inc"\nline2', reasons: ['=cmd|calc', 'ok'], detail: '@x' });
  const [cells] = parseCsv(csvRow(rec));
  assert.equal(cells.length, AUDIT_FIELDS.length);
  const byField = Object.fromEntries(AUDIT_FIELDS.map((f, i) => [f, cells[i]]));
  assert.equal(byField.client_name, 'Evil, "Inc"\nline2');
  assert.equal(byField.reasons, "'=cmd|calc;ok");
  assert.equal(byField.detail, "'@x");
  assert.equal(byField.course_ids, '2;3');
  assert.equal(byField.moodle_user_id, '42');
  assert.equal(byField.timestamp, rec.timestamp);
});

test('--since/--until accept ISO dates and relative durations', () => {
  const now = new Date('2026-03-10T00:00:00Z');
  assert.equal(parseTime('24h', '--since', now).toISOString(), '2026-03-09T00:00:00.000Z');
  assert.equal(parseTime('7d', '--since', now).toISOString(), '2026-03-03T00:00:00.000Z');
  assert.equal(parseTime('2026-03-01', '--since', now).toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(parseTime('2026-03-01T10:00:00+01:00', '--since', now).toISOString(), '2026-03-01T09:00:00.000Z');
  assert.throws(() => parseTime('yesterday', '--since', now), /--since: expected an ISO date/);
});

function writeAudit(path: string, records: AuditRecord[]): void {
  writeFileSync(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

test('audit export filters by time, user and decision across rotated files', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeAudit(`${path}.2`, [fullRecord({ timestamp: '2026-03-01T00:00:00.000Z', request_id: 'old', moodle_username: 'alice', moodle_user_id: 7 })]);
  writeAudit(`${path}.1`, [fullRecord({ timestamp: '2026-03-02T00:00:00.000Z', request_id: 'mid', decision: 'denied', moodle_username: 'alice', moodle_user_id: 7 })]);
  writeAudit(path, [
    fullRecord({ timestamp: '2026-03-03T00:00:00.000Z', request_id: 'new', moodle_username: 'bob', moodle_user_id: 8 }),
    fullRecord({ timestamp: '2026-03-03T01:00:00.000Z', request_id: 'new2', decision: 'error', moodle_username: 'alice', moodle_user_id: 7 }),
  ]);
  writeFileSync(path, readFileSync(path, 'utf8') + '{"truncated\n');

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = memoryStream();
    const err = memoryStream();
    const code = await runAuditCommand(['export', '--file', path, ...args], { stdout: out.stream, stderr: err.stream });
    return { code, out: out.text(), err: err.text() };
  }
  const ids = (r: { out: string }) => r.out.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l).request_id);

  const all = await run('--format', 'jsonl');
  assert.equal(all.code, 0);
  assert.deepEqual(ids(all), ['old', 'mid', 'new', 'new2'], 'oldest file first');
  assert.match(all.err, /4 record\(s\), 1 malformed/);
  assert.deepEqual(ids(await run('--format', 'jsonl', '--user', 'alice')), ['old', 'mid', 'new2']);
  assert.deepEqual(ids(await run('--format', 'jsonl', '--user', '8')), ['new']);
  assert.deepEqual(ids(await run('--format', 'jsonl', '--decision', 'denied')), ['mid']);
  assert.deepEqual(ids(await run('--format', 'jsonl', '--since', '2026-03-02', '--until', '2026-03-03T00:30:00Z')), ['mid', 'new']);

  const csv = await run('--format', 'csv', '--user', 'alice', '--bom');
  const rows = parseCsv(csv.out.replace(/^\ufeff/, ''));
  assert.ok(csv.out.startsWith('\ufeff'));
  assert.deepEqual(rows[0], [...AUDIT_FIELDS]);
  assert.deepEqual(rows.slice(1).map((r) => r[AUDIT_FIELDS.indexOf('request_id')]), ['old', 'mid', 'new2']);

  const outFile = join(dir, 'export.csv');
  assert.equal((await run('--out', outFile)).code, 0);
  assert.equal(parseCsv(readFileSync(outFile, 'utf8')).length, 5);

  const bad = await run('--decision', 'maybe');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--decision: must be allowed, denied or error/);
  assert.equal((await run('--since', 'soon')).code, 2);
  assert.equal((await run('--bogus')).code, 2);
});

test('audit export takes the file sink path from the config when --file is absent', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeAudit(path, [fullRecord({ request_id: 'from-config' })]);
  const out = memoryStream();
  const code = await runAuditCommand(['export', '--format', 'jsonl'], {
    stdout: out.stream,
    stderr: memoryStream().stream,
    config: configWithAudit({ sinks: [{ type: 'stdout' }, { type: 'file', path }], fail_closed: false, buffer: 10 }),
  });
  assert.equal(code, 0);
  assert.equal(JSON.parse(out.text()).request_id, 'from-config');
  const err = memoryStream();
  const none = await runAuditCommand(['export'], {
    stdout: memoryStream().stream,
    stderr: err.stream,
    config: configWithAudit({ sinks: [{ type: 'stdout' }], fail_closed: false, buffer: 10 }),
  });
  assert.equal(none, 2);
  assert.match(err.text(), /no file sink/);
});

test('audit export --out into a missing directory fails with a message and exit 1, not a crash', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeAudit(path, [fullRecord()]);
  const err = memoryStream();
  const code = await runAuditCommand(['export', '--file', path, '--out', join(dir, 'missing', 'y.csv')], { stdout: memoryStream().stream, stderr: err.stream });
  assert.equal(code, 1);
  assert.match(err.text(), /^error: ENOENT: no such file or directory, open '.*missing\/y\.csv'/);
});

test('audit export --out makes an existing file private (0600)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeAudit(path, [fullRecord({ request_id: 'private' })]);
  const outFile = join(dir, 'export.jsonl');
  writeFileSync(outFile, 'old content that is longer than the export itself '.repeat(100), { mode: 0o644 });
  chmodSync(outFile, 0o644);
  const code = await runAuditCommand(['export', '--file', path, '--format', 'jsonl', '--out', outFile], { stdout: memoryStream().stream, stderr: memoryStream().stream });
  assert.equal(code, 0);
  assert.equal(statSync(outFile).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(outFile, 'utf8')).request_id, 'private');
});

test('a write failure during the export rejects instead of waiting for drain forever', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeAudit(path, [fullRecord(), fullRecord()]);
  const out = new Writable({ highWaterMark: 1, write: (_chunk, _enc, cb) => setImmediate(() => cb(new Error('disk full'))) });
  await assert.rejects(exportAudit({ file: path, format: 'jsonl', out }), /disk full/);
});
