// The oidc-provider storage adapter: a grant revoked once per token model (concurrently) is revoked in the store once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { storeAdapter } from '../../runtime/auth/oauth/adapter.ts';
import { FileStore, type AuthStore } from '../../runtime/auth/store/index.ts';
import { authorize, discover, insecure, mcp, startHarness, tokens } from './oauth-harness.ts';

/** A FileStore whose method calls are counted by name. */
async function countingStore() {
  const store = new FileStore(mkdtempSync(join(tmpdir(), 'mmcp-adapter-')));
  await store.migrate();
  const calls = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  }) as AuthStore;
  return { store: counted, calls };
}

describe('oidc-provider store adapter', () => {
  it('concurrent revocations of one grant by several models run once; a later one runs again', async () => {
    const { store, calls } = await countingStore();
    const revoked: string[] = [];
    const Adapter = storeAdapter(store, { onGrantRevoked: async (grantId) => void revoked.push(grantId) });
    await store.oidcUpsert('AccessToken', 'at', { payload: { grantId: 'g1' }, grantId: 'g1' });
    await store.oidcUpsert('RefreshToken', 'rt', { payload: { grantId: 'g1' }, grantId: 'g1' });
    await store.oidcUpsert('AccessToken', 'other', { payload: { grantId: 'g2' }, grantId: 'g2' });

    await Promise.all(['AccessToken', 'RefreshToken', 'AuthorizationCode'].map((model) => new Adapter(model).revokeByGrantId!('g1')));
    assert.equal(calls.get('oidcRevokeByGrantId'), 1);
    assert.deepEqual(revoked, ['g1']);
    assert.equal(await store.oidcFind('AccessToken', 'at'), null);
    assert.equal(await store.oidcFind('RefreshToken', 'rt'), null);
    assert.ok(await store.oidcFind('AccessToken', 'other'), 'another grant is untouched');

    await new Adapter('AccessToken').revokeByGrantId!('g1');
    assert.equal(calls.get('oidcRevokeByGrantId'), 2, 'nothing is cached once a revocation has finished');
    assert.deepEqual(revoked, ['g1', 'g1']);
    await store.close();
  });

  it('a failed revocation rejects for every model that asked, and the next one tries again', async () => {
    const { store } = await countingStore();
    let fail = true;
    const Adapter = storeAdapter(store, {
      onGrantRevoked: async () => {
        if (fail) throw new Error('store down');
      },
    });
    const results = await Promise.allSettled(['AccessToken', 'RefreshToken'].map((model) => new Adapter(model).revokeByGrantId!('g1')));
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    fail = false;
    await new Adapter('AccessToken').revokeByGrantId!('g1');
    await store.close();
  });

  it('revoking a refresh token at /oauth/revoke revokes the connection once and audits it once', async () => {
    const { store, calls } = await countingStore();
    const h = await startHarness({}, store);
    try {
      const s = await discover(h);
      const { result } = await tokens(h, s, await authorize(h, s));
      const id = (await (await mcp(h, result.access_token)).json()).id;
      calls.clear();
      await oauth.processRevocationResponse(await oauth.revocationRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure));
      assert.equal(calls.get('oidcRevokeByGrantId'), 1);
      assert.equal(calls.get('revokeConnection'), 1);
      assert.ok((await h.store.getConnection(id))?.revokedAt);
      assert.equal((await mcp(h, result.access_token)).status, 401);
      assert.equal(h.audit.filter((r) => r.event === 'auth.token.revoked' && r.connection_id === id).length, 1);
    } finally {
      await h.close();
    }
  });
});
