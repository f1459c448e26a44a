import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decryptSecret, encryptionKey, encryptSecret, hashApiKey, loadKeyring, randomId } from '../../runtime/auth/crypto.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('crypto', () => {
  it('round-trips a token, names the key, and never contains the plaintext', () => {
    const ring = { current: encryptionKey(k1) };
    const sealed = encryptSecret(ring, 'moodle-token-123', 'conn-1');
    assert.match(sealed, new RegExp(`^v1\\.${ring.current.id}\\.`));
    assert.ok(!sealed.includes('moodle-token-123'));
    assert.notEqual(encryptSecret(ring, 'moodle-token-123', 'conn-1'), sealed, 'random IV');
    assert.equal(decryptSecret(ring, sealed, 'conn-1'), 'moodle-token-123');
  });

  it('refuses a ciphertext bound to another record, tampered, or under an unknown key', () => {
    const ring = { current: encryptionKey(k1) };
    const sealed = encryptSecret(ring, 'tok', 'conn-1');
    assert.throws(() => decryptSecret(ring, sealed, 'conn-2'), { code: 'crypto' });
    const parts = sealed.split('.');
    parts[3] = Buffer.from('xxx').toString('base64url');
    assert.throws(() => decryptSecret(ring, parts.join('.'), 'conn-1'), { code: 'crypto' });
    assert.throws(() => decryptSecret({ current: encryptionKey(k2) }, sealed, 'conn-1'), /not configured/);
    assert.throws(() => decryptSecret(ring, 'garbage', 'conn-1'), /unknown format/);
  });

  it('decrypts with a previous key after rotation', () => {
    const old = encryptSecret({ current: encryptionKey(k1) }, 'tok');
    const rotated = { current: encryptionKey(k2), previous: [encryptionKey(k1)] };
    assert.equal(decryptSecret(rotated, old), 'tok');
  });

  it('loads the key from the environment, a file, or fails with a clear message', () => {
    const env = { MOODLE_MCP_ENCRYPTION_KEY: k1.toString('base64'), MOODLE_MCP_ENCRYPTION_KEY_PREVIOUS: k2.toString('base64') };
    const ring = loadKeyring({ env });
    assert.deepEqual(ring.current.key, k1);
    assert.deepEqual(ring.previous?.[0].key, k2);
    const file = join(mkdtempSync(join(tmpdir(), 'mmcp-key-')), 'key');
    writeFileSync(file, k2.toString('base64') + '\n');
    assert.deepEqual(loadKeyring({ env: {}, file }).current.key, k2);
    assert.throws(() => loadKeyring({ env: {} }), /set MOODLE_MCP_ENCRYPTION_KEY/);
    assert.throws(() => loadKeyring({ env: { MOODLE_MCP_ENCRYPTION_KEY: 'c2hvcnQ=' } }), /32 bytes, got 5/);
    assert.throws(() => loadKeyring({ env: {}, file: '/nonexistent/key' }), /cannot read \/nonexistent\/key \(ENOENT\)/);
  });

  it('hashes API keys as hex SHA-256 and makes distinct random ids', () => {
    assert.equal(hashApiKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.notEqual(randomId('c_'), randomId('c_'));
    assert.match(randomId('c_'), /^c_[A-Za-z0-9_-]{22}$/);
  });
});
