import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashApiKey } from '../../runtime/auth/crypto.ts';
import { authenticateBearer, resolveConfigKeys, type DemoOptions } from '../../runtime/auth/bearer.ts';
import { createApiKey } from '../../runtime/auth/keys.ts';
import { requireScope } from '../../runtime/auth/scopes.ts';
import { FileStore } from '../../runtime/auth/store/index.ts';
import { waitFor } from '../audit/helpers.ts';
import { fakeMoodle, testKeyring } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'mmcp-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const profiles = { default: { scopes: ['api.read', 'api.write'] }, ro: { scopes: ['api.read'] } };

async function setup() {
  const store = new FileStore(join(root, `k${n++}`));
  await store.migrate();
  return { store, keyring: testKeyring(), moodle: fakeMoodle() };
}

describe('API keys', () => {
  it('creates a key shown once, stores only hash + prefix + sealed token, and authenticates it', async () => {
    const { store, keyring, moodle } = await setup();
    const token = moodle.tokenFor('student1');
    const { key, record } = await createApiKey({ store, keyring, name: 'bot', profile: 'default', profiles, moodleToken: token, getSiteInfo: moodle.getSiteInfo, allowSiteAdmin: false });
    assert.match(key, /^mmcp_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$/);
    assert.equal(record.keyHash, hashApiKey(key));
    assert.equal(record.keyPrefix, key.slice(0, 13));
    assert.deepEqual(record.scopes, ['api.read']);
    assert.deepEqual(record.moodleUser, { id: 3, username: 'student1', fullname: 'student1 User', isSiteAdmin: false });
    const { readFileSync } = await import('node:fs');
    const onDisk = readFileSync(store.path, 'utf8');
    assert.ok(!onDisk.includes(key) && !onDisk.includes(token), 'neither the key nor the Moodle token is stored in clear');

    const c = await authenticateBearer(`Bearer ${key}`, { store, keyring });
    assert.equal(c?.id, record.id);
    assert.equal(c?.authMethod, 'apikey');
    assert.equal(c?.moodleToken, token);
    assert.equal(c?.moodleUser?.username, 'student1');
    const tampered = key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x');
    assert.equal(await authenticateBearer(`Bearer ${tampered}`, { store, keyring }), null);
    // The last-used write is fire-and-forget: poll the store until it lands (bounded by waitFor), no fixed sleep.
    await waitFor(async () => (await store.getConnection(record.id))?.lastUsedAt !== undefined, 'the last-used time to be recorded');
    assert.ok((await store.getConnection(record.id))?.lastUsedAt, 'last-used time recorded');

    await store.revokeConnection(record.id);
    assert.equal(await authenticateBearer(`Bearer ${key}`, { store, keyring }), null, 'revoked key refused');
  });

  it('refuses site-admin tokens unless allowed, invalid tokens, unknown profiles and scopes beyond the profile', async () => {
    const { store, keyring, moodle } = await setup();
    const base = { store, keyring, name: 'x', profiles, getSiteInfo: moodle.getSiteInfo, allowSiteAdmin: false };
    await assert.rejects(createApiKey({ ...base, profile: 'default', moodleToken: moodle.tokenFor('admin') }), {
      code: 'forbidden',
      message: /site administrator.*moodle\.allow_site_admin_tokens in the config/,
    });
    const ok = await createApiKey({ ...base, profile: 'default', moodleToken: moodle.tokenFor('admin'), allowSiteAdmin: true });
    assert.equal(ok.record.moodleUser?.isSiteAdmin, true);
    await assert.rejects(createApiKey({ ...base, profile: 'default', moodleToken: 'nope' }), { name: 'MoodleError', code: 'invalidtoken' });
    await assert.rejects(createApiKey({ ...base, profile: 'nope', moodleToken: 't' }), /unknown profile "nope"/);
    await assert.rejects(createApiKey({ ...base, profile: 'ro', scopes: ['api.read', 'api.write'], moodleToken: moodle.tokenFor('student1') }), /does not permit scope api.write/);
  });

  it('expired keys are refused', async () => {
    const { store, keyring, moodle } = await setup();
    const { key } = await createApiKey({ store, keyring, name: 'x', profile: 'default', profiles, moodleToken: moodle.tokenFor('student1'), getSiteInfo: moodle.getSiteInfo, allowSiteAdmin: false, expiresAt: new Date(Date.now() + 60_000) });
    assert.ok(await authenticateBearer(`Bearer ${key}`, { store, keyring }));
    assert.equal(await authenticateBearer(`Bearer ${key}`, { store, keyring, now: new Date(Date.now() + 120_000) }), null);
  });
});

describe('authenticateBearer: config keys, demo keys, headers', () => {
  const tokenFile = join(root, 'moodle-token');
  writeFileSync(tokenFile, 'file-moodle-token\n');
  const configKeys = resolveConfigKeys(
    [
      { id: 'env-bot', key_env: 'BOT_KEY', moodle_token_env: 'BOT_MOODLE', profile: 'ro' },
      { id: 'hash-bot', key_sha256: hashApiKey('hashed-secret-key'), moodle_token_file: tokenFile, profile: 'default', scopes: ['api.read'] },
    ],
    profiles,
    { BOT_KEY: 'env-secret-key', BOT_MOODLE: 'env-moodle-token' },
  );
  const demo: DemoOptions = { enabled: true, profile: 'demo', scopes: ['api.read', 'api.write'], tokens: { student: 'ts', teacher: 'tt', manager: 'tm' } };

  it('resolves config keys by hash', async () => {
    const a = await authenticateBearer('Bearer env-secret-key', { configKeys });
    assert.deepEqual(a, { id: 'env-bot', authMethod: 'config-key', profile: 'ro', scopes: ['api.read'], moodleToken: 'env-moodle-token' });
    const b = await authenticateBearer('bearer hashed-secret-key', { configKeys });
    assert.equal(b?.moodleToken, 'file-moodle-token');
    assert.equal(await authenticateBearer('Bearer other', { configKeys }), null);
  });

  it('config key errors name the connection and the missing secret', () => {
    assert.throws(() => resolveConfigKeys([{ id: 'a', key_env: 'NOPE', moodle_token_env: 'X', profile: 'ro' }], profiles, {}), /connections\[0\] \(a\): environment variable NOPE/);
    assert.throws(() => resolveConfigKeys([{ id: 'a', key_sha256: 'f'.repeat(64), moodle_token_env: 'X', profile: 'ro' }], profiles, {}), /Moodle token \(X\) is empty or not set/);
    assert.throws(() => resolveConfigKeys([{ id: 'a', key_sha256: 'f'.repeat(64), moodle_token_file: '/no/such', profile: 'ro' }], profiles, {}), /cannot read moodle_token_file \/no\/such \(ENOENT\)/);
    assert.throws(() => resolveConfigKeys([{ id: 'a', key_sha256: 'f'.repeat(64), moodle_token_env: 'X', profile: 'ro', scopes: ['api.write'] }], profiles, { X: 't' }), /does not permit scope api.write/);
  });

  it('demo keys only when enabled and only from loopback', async () => {
    const c = await authenticateBearer('Bearer demo-teacher', { demo, clientIp: '127.0.0.1' });
    assert.equal(c?.moodleToken, 'tt');
    assert.equal(c?.authMethod, 'demo');
    assert.equal((await authenticateBearer('Bearer demo-student', { demo, clientIp: '::1' }))?.moodleToken, 'ts');
    assert.equal((await authenticateBearer('Bearer demo-manager', { demo, clientIp: '::ffff:127.0.0.1' }))?.moodleToken, 'tm');
    await assert.rejects(authenticateBearer('Bearer demo-student', { demo, clientIp: '10.1.2.3' }), { code: 'forbidden' });
    await assert.rejects(authenticateBearer('Bearer demo-student', { demo }), { code: 'forbidden' });
    assert.equal(await authenticateBearer('Bearer demo-student', { demo: { ...demo, enabled: false }, clientIp: '127.0.0.1' }), null);
    assert.equal(await authenticateBearer('Bearer demo-student', { clientIp: '127.0.0.1' }), null);
  });

  it('no header → null; malformed → invalid_request; other tokens go to OAuth', async () => {
    assert.equal(await authenticateBearer(undefined, {}), null);
    assert.equal(await authenticateBearer('', {}), null);
    await assert.rejects(authenticateBearer('Basic abc', {}), { code: 'invalid_request' });
    await assert.rejects(authenticateBearer('Bearer a b', {}), { code: 'invalid_request' });
    const seen: string[] = [];
    const oauth = async (t: string) => (seen.push(t), null);
    assert.equal(await authenticateBearer('Bearer some.jwt.or.opaque', { oauth, configKeys }), null);
    assert.deepEqual(seen, ['some.jwt.or.opaque']);
  });

  it('requireScope: 403 insufficient_scope naming the scope to ask for', () => {
    assert.doesNotThrow(() => requireScope({ scopes: ['api.read', 'api.write'] }, 'api.write'));
    assert.throws(() => requireScope({ scopes: ['api.read'] }, 'api.write'), (e: any) => e.code === 'insufficient_scope' && e.status === 403 && e.scope === 'api.read api.write');
  });
});
