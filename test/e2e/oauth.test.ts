// OAuth 2.1 end to end through the gateway itself: the MCP SDK's client-side auth (discovery, registration, PKCE,
// token), sign-in at the simulator's login/token.php (a test double of Moodle), consent, MCP calls as that person,
// step-up from read to read+write (403 insufficient_scope), revocation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SIMULATOR_PASSWORD, simulatorRoles } from '../../runtime/simulator/index.ts';
import { REDIRECT, sdkProvider, sdkSignIn, type Sdk } from '../auth/oauth-harness.ts';
import { freePort, listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { answer, connectClient, postInitialize } from '../helpers/mcp-client.ts';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;
let base: string;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await startTestGateway(testConfig({ mode: 'read-write', server: { port, public_url: base } }));
  server = await listen(gw.gateway, { port });
});
after(async () => {
  await server.close();
  await gw.close();
});

/** Runs the authorization as a person would in a browser: sign in with Moodle credentials, consent to `access`. */
async function signIn(sdk: Sdk, access: 'read' | 'write', username = simulatorRoles.student.username) {
  const r = await sdkSignIn(base, sdk, { username, password: SIMULATOR_PASSWORD, access });
  assert.equal(r.started, 'REDIRECT');
  assert.equal(r.signIn?.status, 200, r.signIn?.html.slice(0, 500));
  assert.match(r.signIn.html, /E2E assistant/, 'consent names the client');
  assert.ok(r.signIn.html.includes(REDIRECT), 'consent names the redirect URI');
  assert.equal(r.finished, 'AUTHORIZED');
}

// Recorded exchange #38: the student starts a discussion in the PM101 course forum.
const writeCall = {
  name: 'mod_forum_add_discussion',
  arguments: {
    forumid: 5,
    subject: 'Gantt chart tools',
    message: '<p>Which free tool do you recommend for Gantt charts?</p>',
    groupid: 0,
    options: [{ name: 'discussionsubscribe', value: '1' }, { name: 'discussionpinned', value: '0' }],
  },
};

test('discovery: protected resource metadata and authorization server metadata', async () => {
  const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string; authorization_servers: string[] };
  assert.equal(prm.resource, `${base}/mcp`);
  const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as { code_challenge_methods_supported: string[]; issuer: string };
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.equal(as.issuer, base);
});

test('a person signs in, consents to read, and calls Moodle as themselves; a write asks for step-up', async () => {
  const sdk = sdkProvider('E2E assistant');
  await signIn(sdk, 'read');
  const { state } = sdk;
  const client = await connectClient(base, state.tokens!.access_token);
  const info = await client.callTool({ name: 'core_webservice_get_site_info', arguments: {} });
  assert.equal((info.structuredContent as { username: string }).username, 'emma.johansson');

  // Step-up: the read-only grant calls a write function → HTTP 403 insufficient_scope with the scope to ask for.
  const response = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${state.tokens!.access_token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': (client.transport as StreamableHTTPClientTransport).sessionId!,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'moodle_call_function', arguments: writeCall } }),
  });
  assert.equal(response.status, 403);
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /error="insufficient_scope"/);
  assert.match(challenge, /scope="api\.read api\.write"/);
  // The same for the upload tool (a write too).
  const upload = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${state.tokens!.access_token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': (client.transport as StreamableHTTPClientTransport).sessionId!,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'moodle_upload_file', arguments: { filename: 'a.txt', content_text: 'x' } } }),
  });
  assert.equal(upload.status, 403);
  assert.match(upload.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  await client.close();

  const records = await gw.audited();
  const call = records.find((r) => r.event === 'tools/call' && r.moodle_function === 'core_webservice_get_site_info' && r.auth_method === 'oauth');
  assert.equal(call?.moodle_username, 'emma.johansson');
  assert.ok(call?.client_id, 'the OAuth client is recorded');
  assert.ok(records.some((r) => r.event === 'auth.token.issued'));
});

test('with read+write consent the write goes through; after revocation the token is refused', async () => {
  const sdk = sdkProvider('E2E assistant');
  await signIn(sdk, 'write');
  const { state } = sdk;
  const client = await connectClient(base, state.tokens!.access_token);
  const result = await client.callTool({ name: 'moodle_call_function', arguments: writeCall });
  assert.equal(result.isError, undefined, JSON.stringify(result.content));
  assert.deepEqual(answer(result), { discussionid: 14, warnings: [] });
  await client.close();

  const meta = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as { revocation_endpoint: string };
  const revoked = await fetch(meta.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: state.tokens!.refresh_token!, client_id: state.info!.client_id }).toString(),
  });
  assert.equal(revoked.status, 200);
  const after = await postInitialize(base, state.tokens!.access_token);
  assert.equal(after.status, 401);
  assert.match(after.headers.get('www-authenticate') ?? '', /invalid_token/);
});
