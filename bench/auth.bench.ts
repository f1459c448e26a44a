// Latency of authenticating one /mcp request, per credential kind (file store; the OAuth token through oidc-provider).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptSecret, hashApiKey } from '../runtime/auth/crypto.ts';
import { authenticateBearer } from '../runtime/auth/bearer.ts';
import { createApiKey } from '../runtime/auth/keys.ts';
import { createOAuth } from '../runtime/auth/oauth/index.ts';
import { FileStore } from '../runtime/auth/store/index.ts';
import { testKeyring } from '../test/auth/helpers.ts';
import { measure as sample, percentiles } from './measure.ts';

async function measure(name: string, n: number, fn: () => Promise<unknown>) {
  const { p50, p99 } = percentiles(await sample(n, fn));
  return { name, iterations: n, p50_ms: p50.toFixed(3), p99_ms: p99.toFixed(3) };
}

export default async function bench() {
  const dir = mkdtempSync(join(tmpdir(), 'mmcp-auth-bench-'));
  const store = new FileStore(dir);
  await store.migrate();
  const keyring = testKeyring();
  const siteInfo = async () => ({ id: 7, username: 'bench', isSiteAdmin: false });
  const { key } = await createApiKey({ store, keyring, name: 'bench', profile: 'default', profiles: { default: { scopes: ['api.read'] } }, moodleToken: 'a'.repeat(32), getSiteInfo: siteInfo, allowSiteAdmin: false });
  const configKeys = [{ id: 'cfg', keyHash: hashApiKey('config-key'), profile: 'default', scopes: ['api.read' as const], moodleToken: 'b'.repeat(32) }];
  const oauth = await createOAuth({
    issuer: 'http://127.0.0.1:3000', store, keyring, moodle: { tokenLogin: async () => ({ token: 'c'.repeat(32) }), getSiteInfo: siteInfo },
    profile: 'default', profiles: { default: { scopes: ['api.read'] } }, accessTokenTtl: 3600, refreshTokenTtl: 86400, allowSiteAdmin: false,
  });
  // An access token bound to a connection, minted directly (the browser part of the flow is not what is measured here).
  const grant = new oauth.provider.Grant({ accountId: '7', clientId: 'bench-client' });
  grant.addResourceScope(oauth.resource, 'api.read');
  const grantId = await grant.save();
  await store.createConnection({ id: 'oa_bench', kind: 'oauth', profile: 'default', scopes: ['api.read'], moodleTokenEnc: encryptSecret(keyring, 'c'.repeat(32), 'oa_bench'), grantId, createdAt: new Date().toISOString(), moodleUser: { id: 7, username: 'bench', isSiteAdmin: false } });
  const at = new oauth.provider.AccessToken({ accountId: '7', clientId: 'bench-client', grantId, scope: 'api.read', aud: oauth.resource } as never);
  const token = await at.save();
  if (!(await oauth.authenticateToken(token))) throw new Error('auth bench setup: the minted access token is not accepted');

  const rows = [
    await measure('config key (hash lookup)', 2000, () => authenticateBearer('Bearer config-key', { configKeys })),
    await measure('API key (file store)', 500, () => authenticateBearer(`Bearer ${key}`, { store, keyring })),
    await measure('OAuth access token (file store)', 500, () => oauth.authenticateToken(token)),
  ];
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return rows;
}
