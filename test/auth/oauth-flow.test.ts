// The whole MCP authorization flow driven by oauth4webapi against a gateway-like server and a fake Moodle:
// discovery, registration, authorize + PKCE, sign-in, consent, token, authenticated request, refresh, revoke.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { authorize, discover, insecure, mcp, REDIRECT, startHarness, tokens, type Harness } from './oauth-harness.ts';

describe('OAuth 2.1 for MCP: the whole flow', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('serves protected resource metadata and authorization server metadata', async () => {
    const prm = await (await fetch(`${h.base}/.well-known/oauth-protected-resource/mcp`)).json();
    assert.deepEqual(prm, { resource: `${h.base}/mcp`, authorization_servers: [h.base], scopes_supported: ['api.read', 'api.write'], bearer_methods_supported: ['header'], resource_name: 'Moodle MCP gateway' });
    assert.equal((await (await fetch(`${h.base}/.well-known/oauth-protected-resource`)).json()).resource, h.base);
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const md = await (await fetch(`${h.base}${path}`)).json();
      assert.equal(md.issuer, h.base);
      assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(md.response_types_supported, ['code']);
      assert.ok(md.token_endpoint_auth_methods_supported.includes('none'));
      assert.ok(md.registration_endpoint && md.revocation_endpoint);
      assert.ok(md.scopes_supported.includes('api.read') && md.scopes_supported.includes('api.write'));
    }
  });

  it('401 without a token names the resource metadata and scope', async () => {
    const r = await mcp(h);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer scope="api.read api.write", resource_metadata="${h.base}/.well-known/oauth-protected-resource/mcp"`);
    const bad = await mcp(h, 'not-a-token');
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate')!, /^Bearer error="invalid_token", error_description="[^"]+", scope="api.read api.write", resource_metadata="/);
  });

  it('discovery → registration → authorize (PKCE) → sign-in → consent → token → MCP call → refresh → revoke', async () => {
    const s = await discover(h);
    assert.equal(s.client.client_name, 'Test <MCP> Client');
    const a = await authorize(h, s);
    assert.match(a.page, /Test &lt;MCP&gt; Client/, 'consent names the client (escaped)');
    assert.ok(a.page.includes(REDIRECT), 'consent names the redirect URI');
    assert.equal(a.response.status, 303);
    const { result } = await tokens(h, s, a);
    assert.equal(result.token_type.toLowerCase(), 'bearer');
    assert.equal(result.scope, 'api.read api.write');
    assert.ok(result.refresh_token);

    const ok = await mcp(h, result.access_token, true);
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.equal(body.user, 'student1');
    assert.deepEqual(body.scopes, ['api.read', 'api.write']);
    const conn = await h.store.getConnection(body.id);
    assert.equal(conn?.kind, 'oauth');
    assert.equal(conn?.client?.name, 'Test <MCP> Client');
    assert.equal(conn?.moodleUser?.id, 3);
    assert.ok(conn?.moodleTokenEnc?.startsWith('v1.'));
    const connection = await h.oauth.authenticate(new Request(`${h.base}/mcp`, { headers: { authorization: `Bearer ${result.access_token}` } }));
    assert.ok(h.moodle.tokens.has(connection.moodleToken), 'the connection calls Moodle with the token from login/token.php');

    const refreshed = await oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, oauth.None(), result.refresh_token!, insecure));
    assert.notEqual(refreshed.refresh_token, result.refresh_token, 'refresh tokens rotate');
    assert.equal((await mcp(h, refreshed.access_token)).status, 200);

    await oauth.processRevocationResponse(await oauth.revocationRequest(s.as, s.client, oauth.None(), refreshed.refresh_token!, insecure));
    assert.equal((await mcp(h, refreshed.access_token)).status, 401, 'revoking the refresh token ends the grant');
    const revoked = await h.store.getConnection(body.id);
    assert.ok(revoked?.revokedAt);
    assert.equal(revoked?.moodleTokenEnc, null, 'the Moodle token is deleted on revocation');
    const events = h.audit.map((r) => r.event);
    assert.ok(['auth.signin.ok', 'auth.token.issued', 'auth.token.refreshed', 'auth.token.revoked'].every((e) => events.includes(e as never)), events.join());
  });

  it('the pasted-token way in works too', async () => {
    const s = await discover(h);
    const a = await authorize(h, s, { pasteToken: h.moodle.tokenFor('teacher1'), access: 'read' });
    const { result } = await tokens(h, s, a);
    assert.equal(result.scope, 'api.read');
    const body = await (await mcp(h, result.access_token)).json();
    assert.equal(body.user, 'teacher1');
  });
});

describe('Client ID Metadata Documents', () => {
  const clientId = 'https://client.example/oauth/client-metadata.json';
  let fetched = 0;
  const fakeFetch = (async (url: string | URL) => {
    fetched++;
    assert.equal(String(url), clientId);
    return Response.json({ client_id: clientId, client_name: 'Metadata Client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' });
  }) as typeof fetch;
  let h: Harness;
  before(async () => {
    h = await startHarness({ fetch: fakeFetch, clientMetadata: { resolve: async () => [{ address: '93.184.215.14', family: 4 }] } });
  });
  after(() => h.close());

  it('advertises support and accepts an https client_id URL without registration', async () => {
    const md = await (await fetch(`${h.base}/.well-known/oauth-authorization-server`)).json();
    assert.equal(md.client_id_metadata_document_supported, true);
    const as = await oauth.processDiscoveryResponse(new URL(h.base), await oauth.discoveryRequest(new URL(h.base), { algorithm: 'oauth2', ...insecure }));
    const s = { as, client: { client_id: clientId, token_endpoint_auth_method: 'none' } as oauth.Client };
    const a = await authorize(h, s);
    assert.match(a.page, /Metadata Client/);
    const { result } = await tokens(h, s, a);
    assert.equal((await mcp(h, result.access_token)).status, 200);
    assert.ok(fetched >= 1);
  });
});
