import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectUriProblem } from '../../runtime/auth/oauth/redirect-uris.ts';

describe('redirectUriProblem (OAuth 2.1 redirect URIs)', () => {
  it('accepts https, loopback http and private-use schemes', () => {
    for (const ok of ['https://claude.ai/api/mcp/auth_callback', 'http://127.0.0.1:33418/callback', 'http://localhost:6274/oauth/callback', 'http://[::1]:8080/cb', 'cursor://anysphere.cursor-retrieval/oauth/callback', 'com.example.app:/oauth2redirect'])
      assert.equal(redirectUriProblem(ok), undefined, ok);
  });
  it('refuses plain http elsewhere, fragments, dangerous schemes and garbage, naming the URI', () => {
    assert.match(redirectUriProblem('http://evil.example/cb')!, /"http:\/\/evil.example\/cb": plain http is only allowed on loopback/);
    assert.match(redirectUriProblem('https://ok.example/cb#frag')!, /must not contain a fragment/);
    assert.match(redirectUriProblem('javascript:alert(1)')!, /javascript: scheme is not allowed/);
    assert.match(redirectUriProblem('/relative')!, /not an absolute URI/);
    assert.equal(redirectUriProblem(42), 'must be a string');
  });
});
