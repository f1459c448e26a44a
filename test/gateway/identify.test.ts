// The gateway's identity check (runtime/gateway/identify.ts): a token Moodle refuses is a 401 whose challenge is the
// auth layer's (scope, and resource metadata when OAuth is on), an unreachable Moodle a 503.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../runtime/auth/types.ts';
import { GatewayAuthError } from '../../runtime/gateway/errors.ts';
import { createIdentifier } from '../../runtime/gateway/identify.ts';
import { MoodleError, type MoodleClient } from '../../runtime/moodle/index.ts';
import { SiteFunctionSets } from '../../runtime/moodle/site-functions.ts';

const connection = { id: 'c1', profile: 'default', scopes: ['api.read'], authMethod: 'api_key', moodleToken: 'secret-token' } as unknown as Connection;
const moodleFailing = (error: Error) => ({ getSiteInfo: async () => { throw error; } }) as unknown as MoodleClient;

test('a token Moodle refuses: 401 with the auth layer challenge, never the token', async () => {
  const challenge = { resourceMetadataUrl: 'https://mcp.example.edu/.well-known/oauth-protected-resource/mcp', scope: 'api.read api.write' };
  const identify = createIdentifier({ moodle: moodleFailing(new MoodleError('invalidtoken', 'Invalid token')), allowSiteAdminTokens: false, challenge });
  await assert.rejects(identify(connection), (error: unknown) => {
    assert.ok(error instanceof GatewayAuthError);
    assert.equal(error.status, 401);
    assert.equal(
      error.wwwAuthenticate,
      `Bearer error="invalid_token", error_description="Moodle refused this connection's token (invalidtoken)", scope="api.read api.write", resource_metadata="${challenge.resourceMetadataUrl}"`,
    );
    assert.ok(!`${error.message}${error.wwwAuthenticate}`.includes('secret-token'));
    return true;
  });
  // OAuth off: the challenge names no resource metadata.
  const noOAuth = createIdentifier({ moodle: moodleFailing(new MoodleError('invalidtoken', 'Invalid token')), allowSiteAdminTokens: false, challenge: { scope: 'api.read' } });
  await assert.rejects(noOAuth(connection), (error: GatewayAuthError) => error.wwwAuthenticate === `Bearer error="invalid_token", error_description="Moodle refused this connection's token (invalidtoken)", scope="api.read"`);
});

test('Moodle unreachable: 503 without a challenge', async () => {
  const identify = createIdentifier({ moodle: moodleFailing(new MoodleError('network', 'connect ECONNREFUSED')), allowSiteAdminTokens: false, challenge: { scope: 'api.read' } });
  await assert.rejects(identify(connection), (error: GatewayAuthError) => error.status === 503 && error.wwwAuthenticate === undefined);
});

test('the course resolver is used when the token\'s site info lists local_moodlemcp_resolve_courses (cached with the identity)', async () => {
  let calls = 0;
  const siteInfo = (functions: string[]) =>
    ({
      getSiteInfo: async () => (calls++, { userid: 4, username: 'dlindqvist', fullname: 'D L', userissiteadmin: false, functions: functions.map((name) => ({ name, version: '1' })) }),
    }) as unknown as MoodleClient;
  const withPlugin = createIdentifier({ moodle: siteInfo(['core_webservice_get_site_info', 'local_moodlemcp_resolve_courses']), allowSiteAdminTokens: false, challenge: { scope: 'api.read' } });
  assert.equal((await withPlugin(connection)).courseResolver, true);
  assert.equal((await withPlugin(connection)).courseResolver, true);
  assert.equal(calls, 1, 'one site info call for both');
  const without = createIdentifier({ moodle: siteInfo(['core_webservice_get_site_info']), allowSiteAdminTokens: false, challenge: { scope: 'api.read' } });
  assert.equal((await without(connection)).courseResolver, false);
});

test('invalidtoken says "revoked" only when the stored connection was revoked (config connections and failed revocations are not)', async () => {
  const refusedWith = async (revoked: boolean) => {
    const identify = createIdentifier({ moodle: moodleFailing(new MoodleError('invalidtoken', 'Invalid token')), allowSiteAdminTokens: false, challenge: { scope: 'api.read' }, onInvalidToken: async () => revoked });
    const error = await identify(connection).then(() => undefined, (e: GatewayAuthError) => e);
    assert.equal(error?.status, 401);
    return error!.message;
  };
  assert.match(await refusedWith(true), /this connection was revoked: its Moodle token was deleted in Moodle/);
  assert.equal(await refusedWith(false), "Moodle refused this connection's token (invalidtoken)");
});

test("the functions the token's site info lists come with the identity, shared by tokens with the same list; an empty list is no list", async () => {
  const infos: Record<string, string[]> = {
    'token-a': ['core_webservice_get_site_info', 'core_course_get_contents'],
    'token-b': ['core_course_get_contents', 'core_webservice_get_site_info'], // the same list in another order
    'token-c': ['core_webservice_get_site_info'],
    'token-d': [],
  };
  let calls = 0;
  const moodle = {
    getSiteInfo: async (token: string) => (calls++, { userid: 4, username: 'u', fullname: 'U', userissiteadmin: false, release: '5.0.6', functions: infos[token].map((name) => ({ name, version: '1' })) }),
  } as unknown as MoodleClient;
  const seen: string[][] = [];
  const identify = createIdentifier({ moodle, allowSiteAdminTokens: false, challenge: { scope: 'api.read' }, siteFunctionSets: new SiteFunctionSets((f) => void seen.push([...f.names])) });
  const of = async (token: string) => (await identify({ ...connection, moodleToken: token })).siteFunctions;
  const a = await of('token-a');
  assert.deepEqual([...a!.names], ['core_course_get_contents', 'core_webservice_get_site_info']);
  assert.equal(await of('token-b'), a, 'one shared set for one list');
  assert.equal(await of('token-a'), a);
  assert.notEqual((await of('token-c'))!.id, a!.id);
  assert.equal(await of('token-d'), undefined, 'Moodle always lists at least site info itself: an empty list leaves the check to Moodle');
  assert.equal(calls, 4, 'one site info per token, cached with the identity');
  assert.deepEqual(seen, [['core_course_get_contents', 'core_webservice_get_site_info'], ['core_webservice_get_site_info']], 'each distinct list is announced once');
});
