import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireFileLock, FileLockBusyError } from '../../runtime/shared/file-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-filelock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const DEAD_PID = 2147483646; // above any pid_max: no such process

/** A lock file as this process writes it, with `change` applied (e.g. another host, a dead pid). */
async function leftLock(change: (holder: Record<string, unknown>) => void): Promise<string> {
  const lock = join(root, `lock${n++}`);
  const held = await acquireFileLock(lock);
  const holder = JSON.parse(readFileSync(lock, 'utf8')) as Record<string, unknown>;
  await held.release();
  change(holder);
  writeFileSync(lock, `${JSON.stringify(holder)}\n`);
  return lock;
}

test('the lock names this process', async () => {
  const lock = join(root, `lock${n++}`);
  const held = await acquireFileLock(lock);
  assert.equal((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid, process.pid);
  await held.release();
  assert.equal(existsSync(lock), false);
});

test('a lock from this host whose process is gone is taken over at once', async () => {
  const lock = await leftLock((holder) => (holder.pid = DEAD_PID));
  const held = await acquireFileLock(lock);
  await held.release();
});

test('a lock from another host (or PID namespace, e.g. another container) is not taken over before its stale age', async () => {
  for (const change of [
    (holder: Record<string, unknown>) => (holder.host = `not-${holder.host}`),
    (holder: Record<string, unknown>) => (holder.pidns = 'pid:[1]'),
  ]) {
    const lock = await leftLock((holder) => {
      holder.pid = DEAD_PID; // looks dead from here, may be alive over there
      change(holder);
    });
    await assert.rejects(acquireFileLock(lock, { waitMs: 50 }), FileLockBusyError);
    assert.equal(existsSync(lock), true, 'foreign lock kept');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const held = await acquireFileLock(lock, { staleMs: 30_000 });
    await held.release();
  }
});

test('a lock being written (empty) is not taken over before its stale age', async () => {
  const lock = join(root, `lock${n++}`);
  writeFileSync(lock, '');
  await assert.rejects(acquireFileLock(lock), (error: FileLockBusyError) => error.code === 'ELOCKED' && error.lockPath === lock);
});
