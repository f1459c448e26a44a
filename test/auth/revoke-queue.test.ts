// The retry list of Moodle revocations that failed: concurrent failures (an administrator revoking several
// connections while Moodle is down) each stay queued, and a retry does not drop what was queued while it ran.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encryptionKey, encryptSecret, type Keyring } from '../../runtime/auth/crypto.ts';
import { pendingMoodleRevocations, retryMoodleRevocations, revokeConnection, type RevokeDeps } from '../../runtime/auth/revoke.ts';
import { FileStore } from '../../runtime/auth/store/index.ts';
import { conn } from './store-suite.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-revoke-queue-'));
after(() => rmSync(root, { recursive: true, force: true }));
const keyring: Keyring = { current: encryptionKey(randomBytes(32)) };

async function setup(name: string, ids: string[]) {
  const store = new FileStore(join(root, name));
  await store.migrate();
  for (const id of ids) await store.createConnection(conn({ id, kind: 'oauth', keyHash: undefined, keyPrefix: undefined, moodleTokenSource: 'plugin', moodleTokenEnc: encryptSecret(keyring, `token${id}`, id) }));
  return store;
}

test('concurrent revocations that fail in Moodle are all queued for the retry', async () => {
  const ids = ['c1', 'c2', 'c3', 'c4'];
  const store = await setup('concurrent', ids);
  const deps: RevokeDeps = { store, keyring, revokeInMoodle: async () => Promise.reject(new Error('Moodle is down')), audit: () => {} };
  const outcomes = await Promise.all(ids.map((id) => revokeConnection(deps, id, { detail: 'admin console' })));
  assert.deepEqual(outcomes.map((o) => o.moodle), ['failed', 'failed', 'failed', 'failed']);
  assert.deepEqual((await pendingMoodleRevocations(store)).sort(), ids);
});

test('a revocation queued while the retry runs stays queued', async () => {
  const store = await setup('during-retry', ['c1', 'c2']);
  const down: RevokeDeps = { store, keyring, revokeInMoodle: async () => Promise.reject(new Error('Moodle is down')), audit: () => {} };
  await revokeConnection(down, 'c1', { detail: 'cli' });
  let release!: () => void;
  const slow: RevokeDeps = { ...down, revokeInMoodle: () => new Promise<boolean>((resolve) => (release = () => resolve(true))) };
  const retry = retryMoodleRevocations(slow);
  while (!release) await new Promise((r) => setImmediate(r));
  await revokeConnection(down, 'c2', { detail: 'cli' });
  release();
  assert.equal(await retry, 1, 'the one queued during the retry still waits');
  assert.deepEqual(await pendingMoodleRevocations(store), ['c2']);
});
