// One behavioural suite for every AuthStore implementation (store-file.test.ts, store-postgres.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthStore, ConnectionRecord } from '../../runtime/auth/store/index.ts';

export function conn(over: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    id: 'c1',
    kind: 'apikey',
    name: 'bot',
    profile: 'default',
    scopes: ['api.read'],
    keyHash: 'a'.repeat(64),
    keyPrefix: 'mmcp_abcd',
    moodleTokenEnc: 'v1.sealed',
    moodleUser: { id: 5, username: 'student1', fullname: 'Sam Student', isSiteAdmin: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** `open` returns a fresh, migrated, empty store each call. */
export function storeSuite(name: string, open: () => Promise<AuthStore>) {
  describe(`AuthStore: ${name}`, () => {
    const withStore = (fn: (s: AuthStore) => Promise<void>) => async () => {
      const s = await open();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    it('migrate is idempotent', withStore(async (s) => {
      await s.migrate();
      await s.createConnection(conn());
      await s.migrate();
      assert.equal((await s.listConnections()).length, 1);
    }));

    it('creates, gets, finds by key hash and grant id, and lists', withStore(async (s) => {
      await s.createConnection(conn());
      await s.createConnection(conn({ id: 'c2', kind: 'oauth', keyHash: undefined, keyPrefix: undefined, grantId: 'g2', client: { id: 'cl', name: 'Claude' }, createdAt: '2026-01-02T00:00:00.000Z', moodleUser: { id: 6, username: 't', isSiteAdmin: false } }));
      assert.deepEqual(await s.getConnection('c1'), conn());
      assert.equal((await s.findConnectionByKeyHash('a'.repeat(64)))?.id, 'c1');
      assert.equal(await s.findConnectionByKeyHash('b'.repeat(64)), null);
      assert.equal((await s.findConnectionByGrantId('g2'))?.client?.name, 'Claude');
      await s.createConnection(conn({ id: 'c3', kind: 'oauth', keyHash: undefined, keyPrefix: undefined, grantId: 'g3', moodleTokenSource: 'plugin', createdAt: '2026-01-03T00:00:00.000Z' }));
      assert.equal((await s.getConnection('c3'))?.moodleTokenSource, 'plugin', 'the token source is kept');
      assert.equal((await s.getConnection('c1'))?.moodleTokenSource, undefined);
      assert.deepEqual((await s.listConnections()).map((c) => c.id), ['c1', 'c2', 'c3']);
      assert.deepEqual((await s.listConnections({ kind: 'oauth' })).map((c) => c.id), ['c2', 'c3']);
      assert.deepEqual((await s.listConnections({ moodleUserId: 5 })).map((c) => c.id), ['c1', 'c3']);
      assert.equal(await s.getConnection('nope'), null);
    }));

    it('refuses a duplicate id or key hash', withStore(async (s) => {
      await s.createConnection(conn());
      await assert.rejects(s.createConnection(conn()), { name: 'AuthError', code: 'store' });
      await assert.rejects(s.createConnection(conn({ id: 'other' })), { name: 'AuthError', code: 'store' });
    }));

    it('touches last-used time and updates a connection', withStore(async (s) => {
      await s.createConnection(conn());
      await s.touchConnection('c1', new Date('2026-02-01T10:00:00Z'));
      await s.updateConnection('c1', { scopes: ['api.read', 'api.write'], expiresAt: '2027-01-01T00:00:00.000Z' });
      const c = await s.getConnection('c1');
      assert.equal(c?.lastUsedAt, '2026-02-01T10:00:00.000Z');
      assert.deepEqual(c?.scopes, ['api.read', 'api.write']);
      assert.equal(c?.expiresAt, '2027-01-01T00:00:00.000Z');
      await assert.rejects(s.updateConnection('nope', { scopes: ['api.read'] }), { code: 'not_found' });
    }));

    it('revocation deletes the Moodle token and the grant artefacts, once', withStore(async (s) => {
      await s.createConnection(conn({ kind: 'oauth', keyHash: undefined, grantId: 'g1' }));
      await s.oidcUpsert('Grant', 'g1', { payload: { accountId: '5' } });
      await s.oidcUpsert('AccessToken', 'at1', { payload: { grantId: 'g1' }, grantId: 'g1', expiresAt: Date.now() + 60_000 });
      await s.oidcUpsert('AccessToken', 'at2', { payload: { grantId: 'g9' }, grantId: 'g9', expiresAt: Date.now() + 60_000 });
      const before = await s.revokeConnection('c1', new Date('2026-03-01T00:00:00Z'));
      assert.equal(before?.moodleTokenEnc, 'v1.sealed');
      const after = await s.getConnection('c1');
      assert.equal(after?.moodleTokenEnc, null);
      assert.equal(after?.revokedAt, '2026-03-01T00:00:00.000Z');
      assert.equal(await s.oidcFind('Grant', 'g1'), null);
      assert.equal(await s.oidcFind('AccessToken', 'at1'), null);
      assert.notEqual(await s.oidcFind('AccessToken', 'at2'), null);
      assert.equal(await s.revokeConnection('c1'), null);
      assert.deepEqual(await s.listConnections(), []);
      assert.equal((await s.listConnections({ includeRevoked: true })).length, 1);
    }));

    it('stores oidc-provider models: find, by uid, by user code, consume, destroy, expiry', withStore(async (s) => {
      await s.oidcUpsert('Interaction', 'i1', { payload: { uid: 'u1', jti: 'i1' }, uid: 'u1', expiresAt: Date.now() + 60_000 });
      await s.oidcUpsert('DeviceCode', 'd1', { payload: { userCode: 'ABCD' }, userCode: 'ABCD', expiresAt: Date.now() + 60_000 });
      await s.oidcUpsert('AuthorizationCode', 'old', { payload: { x: 1 }, expiresAt: Date.now() - 1 });
      await s.oidcUpsert('Client', 'cl', { payload: { client_id: 'cl', redirect_uris: ['http://127.0.0.1/cb'] } });
      assert.deepEqual((await s.oidcFind('Interaction', 'i1'))?.payload, { uid: 'u1', jti: 'i1' });
      assert.equal((await s.oidcFindByUid('Interaction', 'u1'))?.uid, 'u1');
      assert.equal(await s.oidcFindByUid('Session', 'u1'), null);
      assert.deepEqual((await s.oidcFindByUserCode('DeviceCode', 'ABCD'))?.payload, { userCode: 'ABCD' });
      assert.equal(await s.oidcFind('AuthorizationCode', 'old'), null, 'expired records are not found');
      assert.deepEqual((await s.oidcFind('Client', 'cl'))?.payload.redirect_uris, ['http://127.0.0.1/cb']);
      await s.oidcUpsert('AuthorizationCode', 'code', { payload: { a: 1 }, grantId: 'g', expiresAt: Date.now() + 60_000 });
      assert.equal((await s.oidcFind('AuthorizationCode', 'code'))?.consumed, undefined);
      await s.oidcConsume('AuthorizationCode', 'code');
      assert.equal((await s.oidcFind('AuthorizationCode', 'code'))?.consumed, true);
      await s.oidcUpsert('Interaction', 'i1', { payload: { uid: 'u1', jti: 'i1', result: { ok: true } }, uid: 'u1', expiresAt: Date.now() + 60_000 });
      assert.deepEqual((await s.oidcFind('Interaction', 'i1'))?.payload.result, { ok: true });
      await s.oidcDestroy('Interaction', 'i1');
      assert.equal(await s.oidcFind('Interaction', 'i1'), null);
      await s.oidcRevokeByGrantId('g');
      assert.equal(await s.oidcFind('AuthorizationCode', 'code'), null);
    }));

    it('oidcInsertIfAbsent: the first writer wins, concurrent writers agree', withStore(async (s) => {
      const results = await Promise.all(['a', 'b', 'c'].map((v) => s.oidcInsertIfAbsent('SigningKey', 'current', { payload: { v } })));
      const winner = results[0].payload.v;
      assert.ok(results.every((r) => r.payload.v === winner));
      assert.equal((await s.oidcInsertIfAbsent('SigningKey', 'current', { payload: { v: 'later' } })).payload.v, winner);
    }));

    it('deleteExpired removes expired connections, old revoked ones and expired oidc records', withStore(async (s) => {
      const now = new Date('2026-06-01T00:00:00Z');
      await s.createConnection(conn({ id: 'live', keyHash: '1'.repeat(64), expiresAt: '2026-07-01T00:00:00.000Z' }));
      await s.createConnection(conn({ id: 'expired', keyHash: '2'.repeat(64), expiresAt: '2026-05-01T00:00:00.000Z' }));
      await s.createConnection(conn({ id: 'revoked', keyHash: '3'.repeat(64) }));
      await s.revokeConnection('revoked', new Date('2026-05-30T00:00:00Z'));
      const n = await s.deleteExpired(now, 7 * 86_400_000);
      assert.equal(n, 1);
      assert.deepEqual((await s.listConnections({ includeRevoked: true })).map((c) => c.id).sort(), ['live', 'revoked']);
      assert.equal(await s.deleteExpired(now, 0), 1);
      assert.deepEqual((await s.listConnections({ includeRevoked: true })).map((c) => c.id), ['live']);
    }));

    it('exports a person without secrets and erases everything about them', withStore(async (s) => {
      await s.createConnection(conn());
      await s.createConnection(conn({ id: 'c2', kind: 'oauth', keyHash: undefined, grantId: 'g2' }));
      await s.createConnection(conn({ id: 'other', keyHash: 'f'.repeat(64), moodleUser: { id: 9, username: 'x', isSiteAdmin: false } }));
      await s.oidcUpsert('Grant', 'g2', { payload: { accountId: '5' } });
      await s.oidcUpsert('Session', 's1', { payload: { accountId: '5' }, uid: 'su' });
      const exported = await s.exportUser({ username: 'student1' });
      assert.deepEqual(exported.connections.map((c) => c.id), ['c1', 'c2']);
      assert.ok(!JSON.stringify(exported).includes('v1.sealed'), 'no encrypted token in an export');
      assert.ok(!JSON.stringify(exported).includes('a'.repeat(64)), 'no key hash in an export');
      await assert.rejects(s.exportUser({}), { code: 'invalid_request' });
      assert.equal(await s.eraseUser({ id: 5 }), 4);
      assert.deepEqual((await s.listConnections({ includeRevoked: true })).map((c) => c.id), ['other']);
      assert.equal(await s.oidcFind('Session', 's1'), null);
      assert.equal(await s.eraseUser({ id: 5 }), 0);
    }));
  });
}
