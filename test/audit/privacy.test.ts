import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAudit } from '../../runtime/audit/logger.ts';
import { listAuditFiles, lockPath } from '../../runtime/audit/files.ts';
import { eraseUserData, type PrivacyStore } from '../../runtime/audit/privacy.ts';
import { runPrivacyCommand } from '../../runtime/cli/privacy.ts';
import { parseConfig } from '../../runtime/config/index.ts';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { captureLogger, fullRecord, memoryStream, tempDir } from './helpers.ts';

/** A validated gateway config with this audit section. */
const configWithAudit = (audit: object) => parseConfig(JSON.stringify({ profiles: { default: {} }, audit }), 'test.yaml', {});

const ALICE = { id: 987654, username: 'alice.erasetarget' };

function fakeStore() {
  const calls = { exportUser: [] as unknown[], eraseUser: [] as unknown[] };
  const store: PrivacyStore = {
    async exportUser(user) {
      calls.exportUser.push(user);
      return { connections: [{ id: 'conn-alice', kind: 'oauth', moodleUser: { id: ALICE.id, username: ALICE.username } }] };
    },
    async eraseUser(user) {
      calls.eraseUser.push(user);
      return 3;
    },
  };
  return { store, calls };
}

const line = (r: AuditRecord) => `${JSON.stringify(r)}\n`;
const alice = (over: Partial<AuditRecord> = {}) => fullRecord({ moodle_user_id: ALICE.id, moodle_username: ALICE.username, ...over });
const bob = (over: Partial<AuditRecord> = {}) => fullRecord({ moodle_user_id: 12, moodle_username: 'bob', ...over });

/** Files with alice, bob and a few awkward lines; returns what each file must hold after alice is erased. */
function plant(path: string): Record<string, string> {
  const files: Record<string, { all: string; others: string }> = {
    [`${path}.2`]: {
      all: line(bob({ request_id: 'b1' })) + line(alice({ request_id: 'a1' })) + line(bob({ request_id: 'b2', client_name: 'Ünïcødé, "quoted"' })),
      others: line(bob({ request_id: 'b1' })) + line(bob({ request_id: 'b2', client_name: 'Ünïcødé, "quoted"' })),
    },
    [`${path}.1`]: {
      // A failed sign-in carries only the username; a crash-truncated line mentions alice's id.
      all: line(alice({ event: 'auth.signin.failed', moodle_user_id: undefined, request_id: 'a2' })) + `{"event":"tools/call","moodle_user_id":${ALICE.id},"trunc\n` + line(bob({ request_id: 'b3' })),
      others: line(bob({ request_id: 'b3' })),
    },
    [path]: {
      all: line(bob({ request_id: 'b4' })) + '\n' + line(alice({ request_id: 'a3' })) + line(fullRecord({ event: 'policy.loaded', moodle_user_id: undefined, moodle_username: undefined })) + '{"event":"session.end","moodle_username":"bob"}',
      others: line(bob({ request_id: 'b4' })) + '\n' + line(fullRecord({ event: 'policy.loaded', moodle_user_id: undefined, moodle_username: undefined })) + '{"event":"session.end","moodle_username":"bob"}',
    },
  };
  for (const [file, content] of Object.entries(files)) writeFileSync(file, content.all);
  return Object.fromEntries(Object.entries(files).map(([file, c]) => [file, c.others]));
}

test('privacy erase removes every trace of the person and keeps everyone else byte-identical', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  const expected = plant(path);
  const { store, calls } = fakeStore();
  const out = memoryStream();
  const err = memoryStream();
  const code = await runPrivacyCommand(['erase', '--user', String(ALICE.id), '--yes', '--file', path], {
    store,
    stdout: out.stream,
    stderr: err.stream,
    config: configWithAudit({ sinks: [{ type: 'stdout' }, { type: 'file', path }], fail_closed: false, buffer: 100 }),
  });
  assert.equal(code, 0, err.text());
  const result = JSON.parse(out.text());
  assert.equal(result.audit_records_removed, 4);
  assert.equal(result.store_records_removed, 3);
  assert.deepEqual(calls.eraseUser, [{ id: ALICE.id }]);

  for (const file of [`${path}.2`, `${path}.1`]) assert.equal(readFileSync(file, 'utf8'), expected[file]);
  const current = readFileSync(path, 'utf8');
  assert.ok(current.startsWith(expected[path]), 'others kept byte for byte');
  const appended = current.slice(expected[path].length);
  assert.ok(appended.startsWith('\n{'), 'the unterminated last line was closed before appending');
  const eraseRecord = JSON.parse(appended);
  assert.equal(eraseRecord.event, 'privacy.erase');
  assert.equal(eraseRecord.request_id, result.reference);
  assert.match(eraseRecord.detail, /audit_records_removed=4; files_rewritten=3; store_records_removed=3/);

  for (const file of await listAuditFiles(path)) {
    const text = readFileSync(file, 'utf8');
    assert.equal(text.includes(ALICE.username), false, `${file} still names the person`);
    assert.equal(text.includes(String(ALICE.id)), false, `${file} still holds the id`);
  }
  assert.equal(existsSync(lockPath(path)), false, 'lock released');
  assert.deepEqual((await listAuditFiles(path)).length, 3, 'no temp files left');
});

test('privacy erase while the gateway keeps writing: the lock keeps every concurrent record', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeFileSync(path, Array.from({ length: 5000 }, (_, i) => line(i % 2 ? alice({ request_id: `a${i}` }) : bob({ request_id: `old${i}` }))).join(''));
  const gateway = createAudit({ sinks: [{ type: 'file', path }], bufferSize: 10_000, retry: { baseMs: 1, maxMs: 5 }, logger: captureLogger().logger });
  const producing = (async () => {
    for (let i = 0; i < 2000; i++) {
      gateway.record(bob({ request_id: `live${i}` }));
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const result = await eraseUserData({ username: ALICE.username }, { auditFile: path, lockWaitMs: 10_000 });
  await producing;
  await gateway.close();
  assert.equal(result.audit_records_removed, 2500);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
  assert.equal(lines.filter((r) => r.request_id?.startsWith('live')).length, 2000, 'no concurrent record lost');
  assert.equal(lines.filter((r) => r.request_id?.startsWith('old')).length, 2500);
  assert.equal(lines.some((r) => r.moodle_username === ALICE.username), false);
  assert.deepEqual(Object.values(gateway.stats().dropped), [0]);
});

test('privacy export writes the person\'s audit records and store data, and is itself audited', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  plant(path);
  const { store } = fakeStore();
  const outFile = join(dir, 'alice.json');
  const err = memoryStream();
  const code = await runPrivacyCommand(['export', '--username', ALICE.username, '--file', path, '--out', outFile], {
    store,
    stdout: memoryStream().stream,
    stderr: err.stream,
    env: { MOODLE_MCP_CONFIG: join(dir, 'no-config-here.yaml') },
  });
  assert.equal(code, 0, err.text());
  const data = JSON.parse(readFileSync(outFile, 'utf8'));
  assert.deepEqual(data.subject, { username: ALICE.username });
  assert.deepEqual(data.audit_records.map((r: AuditRecord) => r.request_id), ['a1', 'a2', 'a3']);
  assert.equal(data.store.connections[0].id, 'conn-alice');
  const last = JSON.parse(readFileSync(path, 'utf8').trimEnd().split('\n').at(-1)!);
  assert.equal(last.event, 'privacy.export');
  assert.equal(last.moodle_username, ALICE.username);
  assert.match(last.detail, /audit_records=3; store=included/);
});

test('privacy CLI refuses unclear requests', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeFileSync(path, '');
  const run = async (...argv: string[]) => {
    const err = memoryStream();
    const code = await runPrivacyCommand(argv, { stdout: memoryStream().stream, stderr: err.stream, store: fakeStore().store, config: configWithAudit({ sinks: [], fail_closed: false, buffer: 1 }) });
    return { code, err: err.text() };
  };
  const noYes = await run('erase', '--user', 'bob', '--file', path);
  assert.equal(noYes.code, 2);
  assert.match(noYes.err, /--yes/);
  assert.match((await run('erase', '--yes', '--file', path)).err, /--user: required/);
  assert.equal((await run('wipe')).code, 2);
  assert.match((await run('export', '--user', 'a', '--username', 'b')).err, /give only one/);
});

test('a lock left by a crashed process does not wedge the file sink', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.log');
  writeFileSync(lockPath(path), '2147483646\n'); // no such process
  const audit = createAudit({ sinks: [{ type: 'file', path }], logger: captureLogger().logger });
  audit.record(bob({ request_id: 'after-crash' }));
  await audit.close();
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).request_id, 'after-crash');
  assert.equal(existsSync(lockPath(path)), false);
});
