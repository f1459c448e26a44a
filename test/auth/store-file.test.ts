import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileStore, scheduleStoreCleanup } from '../../runtime/auth/store/index.ts';
import { conn, storeSuite } from './store-suite.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-filestore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storeSuite('file', async () => {
  const s = new FileStore(join(root, `s${n++}`));
  await s.migrate();
  return s;
});

describe('FileStore specifics', () => {
  it('writes a 0600 file that a second instance (another process, e.g. the CLI) sees', async () => {
    const dir = join(root, 'shared');
    const a = new FileStore(dir);
    const b = new FileStore(dir);
    await a.migrate();
    await b.migrate();
    await a.createConnection(conn());
    assert.equal((await b.getConnection('c1'))?.id, 'c1');
    await b.revokeConnection('c1');
    assert.ok((await a.getConnection('c1'))?.revokedAt);
    assert.equal(statSync(a.path).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(a.path, 'utf8')).schemaVersion, 2);
  });

  it('serialises concurrent writers without losing updates', async () => {
    const dir = join(root, 'concurrent');
    const a = new FileStore(dir);
    const b = new FileStore(dir);
    await a.migrate();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createConnection(conn({ id: `c${i}`, keyHash: String(i).padStart(64, '0') }))),
    );
    assert.equal((await a.listConnections()).length, 20);
  });

  it('takes over a lock file left behind longer than 10 s ago', async () => {
    const dir = join(root, 'stale-lock');
    const s = new FileStore(dir);
    await s.migrate();
    const lock = `${s.path}.lock`;
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 11_000);
    utimesSync(lock, old, old);
    await s.createConnection(conn());
    assert.equal((await s.getConnection('c1'))?.id, 'c1');
    assert.equal(existsSync(lock), false, 'lock released');
  });

  it('migrates a version-0 file and refuses a newer schema', async () => {
    const dir = join(root, 'versions');
    const s = new FileStore(dir);
    await s.migrate();
    writeFileSync(s.path, JSON.stringify({ schemaVersion: 0 }));
    await s.migrate();
    assert.deepEqual(await s.listConnections(), []);
    writeFileSync(s.path, JSON.stringify({ schemaVersion: 99, connections: {}, oidc: {} }));
    await assert.rejects(new FileStore(dir).migrate(), /schema version 99/);
  });
});

describe('scheduleStoreCleanup', () => {
  it('deletes expired connections and keeps recently revoked ones', async () => {
    const s = new FileStore(join(root, 'cleanup'));
    await s.migrate();
    await s.createConnection(conn({ id: 'old', keyHash: '1'.repeat(64), expiresAt: '2020-01-01T00:00:00.000Z' }));
    await s.createConnection(conn({ id: 'revoked', keyHash: '2'.repeat(64) }));
    await s.revokeConnection('revoked');
    const cleanup = scheduleStoreCleanup(s, { intervalMs: 3_600_000 });
    await cleanup.runNow();
    cleanup.stop();
    assert.deepEqual((await s.listConnections({ includeRevoked: true })).map((c) => c.id), ['revoked']);
  });
});
