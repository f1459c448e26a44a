// Behind https (public_url https://…), driven in process through handle(): cookie names and attributes browsers require.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { createOAuth } from '../../runtime/auth/oauth/index.ts';
import { FileStore } from '../../runtime/auth/store/index.ts';
import { fakeMoodle, testKeyring } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmcp-https-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ISSUER = 'https://mcp.example.edu';

describe('OAuth on an https public URL', () => {
  it('uses __Host-/__Secure- cookies with Secure, Path=/ for __Host- and no Domain', async () => {
    const store = new FileStore(dir);
    await store.migrate();
    const o = await createOAuth({ issuer: ISSUER, store, keyring: testKeyring(), moodle: fakeMoodle(), profile: 'default', profiles: { default: { scopes: ['api.read'] } }, accessTokenTtl: 60, refreshTokenTtl: 600, allowSiteAdmin: false });
    const reg = await o.handle(new Request(`${ISSUER}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://client.example/cb'], token_endpoint_auth_method: 'none', scope: 'api.read' }) }));
    assert.equal(reg!.status, 201);
    const client = await reg!.json();
    const url = new URL(`${ISSUER}/oauth/authorize`);
    url.search = new URLSearchParams({ client_id: client.client_id, redirect_uri: 'https://client.example/cb', response_type: 'code', scope: 'api.read', code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256', state: 's' }).toString();
    const r = await o.handle(new Request(url));
    assert.equal(r!.status, 303);
    const location = new URL(r!.headers.get('location')!, ISSUER);
    assert.match(location.pathname, /^\/interaction\//);
    const page = await o.handle(new Request(location, { headers: { cookie: r!.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') } }));
    assert.equal(page!.status, 200);
    const cookies = [...r!.headers.getSetCookie(), ...page!.headers.getSetCookie()];
    assert.ok(cookies.some((c) => c.startsWith('__Secure-mmcp-interaction=')));
    assert.ok(cookies.some((c) => c.startsWith('__Host-mmcp-csrf=')));
    for (const c of cookies) {
      assert.match(c, /;\s*secure/i, c);
      assert.doesNotMatch(c, /;\s*domain=/i, c);
      if (c.startsWith('__Host-')) assert.match(c, /;\s*path=\/(;|$)/i, c);
      assert.ok(/^__(Host|Secure)-/.test(c), `unprefixed cookie on https: ${c.split('=')[0]}`);
    }
    await store.close();
  });

  it('refuses a non-loopback http public URL and a URL with a path', async () => {
    const store = new FileStore(join(dir, 'x'));
    const base = { store, keyring: testKeyring(), moodle: fakeMoodle(), profile: 'default', profiles: { default: { scopes: ['api.read'] } }, accessTokenTtl: 60, refreshTokenTtl: 600, allowSiteAdmin: false };
    await assert.rejects(createOAuth({ ...base, issuer: 'http://mcp.example.edu' }), /must use https except on loopback/);
    await assert.rejects(createOAuth({ ...base, issuer: 'https://example.edu/gateway' }), /origin without a path/);
    await assert.rejects(createOAuth({ ...base, issuer: 'https://mcp.example.edu', profile: 'nope' }), /unknown profile "nope"/);
  });
});
