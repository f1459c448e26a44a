import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthenticator } from '../../runtime/auth/authenticate.ts';
import { authErrorResponse } from '../../runtime/auth/challenge.ts';
import { AuthError } from '../../runtime/auth/errors.ts';
import { hashApiKey } from '../../runtime/auth/crypto.ts';
import type { AuthStore } from '../../runtime/auth/store/types.ts';
import { testKeyring } from './helpers.ts';

const challenge = { resourceMetadataUrl: 'https://mcp.example.edu/.well-known/oauth-protected-resource/mcp', scope: 'api.read api.write' };
const req = (auth?: string) => new Request('https://mcp.example.edu/mcp', { headers: auth ? { authorization: auth } : {} });

describe('createAuthenticator (the /mcp entry point)', () => {
  const authenticate = createAuthenticator({
    configKeys: [{ id: 'bot', keyHash: hashApiKey('bot-key'), profile: 'default', scopes: ['api.read'], moodleToken: 'mt' }],
    demo: { enabled: true, profile: 'demo', scopes: ['api.read'], tokens: { student: 's', teacher: 't', manager: 'm' } },
    oauth: { authenticateToken: async (t) => (t === 'good-at' ? { id: 'oa_1', authMethod: 'oauth', profile: 'default', scopes: ['api.read'], moodleToken: 'x' } : null) },
    challenge,
  });

  it('resolves config keys, demo keys and OAuth tokens', async () => {
    assert.equal((await authenticate(req('Bearer bot-key'), '10.0.0.1')).id, 'bot');
    assert.equal((await authenticate(req('Bearer demo-student'), '127.0.0.1')).authMethod, 'demo');
    assert.equal((await authenticate(req('Bearer good-at'), '10.0.0.1')).id, 'oa_1');
  });

  it('401 with a challenge: without credential no error code, with a bad one invalid_token', async () => {
    await assert.rejects(authenticate(req(), '10.0.0.1'), (e: AuthError) =>
      e.status === 401 && e.wwwAuthenticate === `Bearer scope="api.read api.write", resource_metadata="${challenge.resourceMetadataUrl}"`);
    await assert.rejects(authenticate(req('Bearer nope'), '10.0.0.1'), (e: AuthError) =>
      e.status === 401 && e.wwwAuthenticate!.startsWith('Bearer error="invalid_token", error_description="unknown, expired or revoked credential"'));
    await assert.rejects(authenticate(req('Basic x'), '10.0.0.1'), (e: AuthError) => e.status === 400 && /error="invalid_request"/.test(e.wwwAuthenticate!));
  });

  it('inherited property names (toString, constructor, ...) are not demo keys', async () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf'])
      await assert.rejects(authenticate(req(`Bearer ${name}`), '127.0.0.1'), (e: AuthError) => e.status === 401, name);
  });

  it('403 without a challenge for a demo key off loopback', async () => {
    await assert.rejects(authenticate(req('Bearer demo-student'), '192.0.2.1'), (e: AuthError) => e.status === 403 && e.wwwAuthenticate === undefined);
  });

  it('a store or key-ring failure is an internal error: not an AuthError with a status, no challenge, detail kept as cause', async () => {
    const failing = (code: 'store' | 'crypto') => createAuthenticator({
      store: { findConnectionByKeyHash: async () => { throw new AuthError(code, 'database error: /var/lib/moodle-mcp/auth.json'); } } as unknown as AuthStore,
      keyring: testKeyring(),
      challenge,
    });
    for (const code of ['store', 'crypto'] as const)
      await assert.rejects(failing(code)(req(`Bearer mmcp_ABCDEFGH_${'a'.repeat(40)}`), '10.0.0.1'), (e: Error & { status?: unknown; wwwAuthenticate?: unknown }) =>
        !(e instanceof AuthError) && e.status === undefined && e.wwwAuthenticate === undefined && (e.cause as AuthError).code === code);
  });

  it('authErrorResponse: 403 insufficient_scope with the scopes to ask for', async () => {
    const r = authErrorResponse(new AuthError('insufficient_scope', 'needs api.write', { scope: 'api.read api.write' }), challenge);
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('www-authenticate'), `Bearer error="insufficient_scope", scope="api.read api.write", error_description="needs api.write", resource_metadata="${challenge.resourceMetadataUrl}"`);
    assert.deepEqual(await r.json(), { error: 'insufficient_scope', error_description: 'needs api.write' });
  });
});
