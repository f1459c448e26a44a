// End to end over a real socket: the MCP SDK client → the gateway → the in-process Moodle simulator (a test double).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recorded } from '../helpers/exchanges.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { connectClient, INITIALIZE as initialize, postMcp, text, answer } from '../helpers/mcp-client.ts';
import { mcpBodyLimit } from '../../runtime/gateway/create.ts';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;

before(async () => {
  gw = await startTestGateway();
  server = await listen(gw.gateway);
});
after(async () => {
  await server.close();
  await gw.close();
});

const connect = (key = 'demo-student') => connectClient(server.url, key);

test('initialize and tools/list: meta-tools plus the configured direct tools, with schemas and annotations', async () => {
  const client = await connect();
  assert.equal(client.getServerVersion()?.name, 'moodle-mcp');
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  // Read-only mode: moodle_read_file is listed after the meta-tools, moodle_upload_file (a write) is not.
  assert.deepEqual(names.slice(0, 4), ['moodle_search_functions', 'moodle_describe_function', 'moodle_call_function', 'moodle_read_file']);
  assert.ok(names.includes('core_course_get_contents'));
  assert.equal(names.length, 4 + gw.gateway.config.expose.direct.length);
  const contents = tools.find((t) => t.name === 'core_course_get_contents')!;
  assert.equal(contents.annotations?.readOnlyHint, true);
  assert.equal(contents.outputSchema?.type, 'object');
  assert.deepEqual(contents.inputSchema.required, ['courseid']);
  await client.close();
});

test('a direct tool call returns what Moodle answered (recorded exchange #8)', async () => {
  const client = await connect();
  const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
  assert.equal(result.isError, undefined, text(result));
  assert.deepEqual(result.structuredContent, { result: recorded(8) });
  assert.deepEqual(JSON.parse(text(result)), recorded(8));
  await client.close();
});

test('moodle_call_function returns what Moodle answered (recorded exchange #12)', async () => {
  const client = await connect();
  const result = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'mod_assign_get_assignments', arguments: { courseids: [2] } } });
  assert.equal(result.isError, undefined, text(result));
  assert.deepEqual(answer(result), recorded(12));
  assert.equal(result.structuredContent, undefined, 'moodle_call_function has no output schema: the answer is its text');
  await client.close();
});

test('search and describe only show functions the caller may use', async () => {
  const client = await connect();
  const search = await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'forum discussions' } });
  const found = (search.structuredContent as { functions: { name: string; access: string }[] }).functions;
  assert.ok(found.some((f) => f.name === 'mod_forum_get_forum_discussions'));
  assert.ok(found.every((f) => f.access === 'read'), 'read-only mode: write functions are not listed');
  const writes = await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'create', access: 'write' } });
  assert.equal((writes.structuredContent as { total: number }).total, 0);
  const described = await client.callTool({ name: 'moodle_describe_function', arguments: { name: 'core_enrol_get_enrolled_users' } });
  assert.equal((described.structuredContent as { access: string }).access, 'read');
  const hidden = await client.callTool({ name: 'moodle_describe_function', arguments: { name: 'core_course_create_courses' } });
  assert.equal(hidden.isError, true);
  await client.close();
});

test('Moodle errors become tool errors with Moodle errorcode and message (recorded exchange #48)', async () => {
  const client = await connect();
  const result = await client.callTool({ name: 'moodle_call_function', arguments: { name: 'core_enrol_get_enrolled_users', arguments: { courseid: 5 } } });
  assert.equal(result.isError, true);
  assert.match(text(result), /errorcoursecontextnotvalid/);
  assert.match(text(result), /You cannot execute functions in the course context/);
  await client.close();
});

test('invalid arguments are refused before Moodle, naming the field', async () => {
  const client = await connect();
  const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 'abc' } });
  assert.equal(result.isError, true);
  assert.match(text(result), /invalid_arguments/);
  assert.match(text(result), /courseid/);
  await client.close();
});

test('read-only mode refuses a write function with a reason, and the audit says so', async () => {
  const client = await connect('demo-teacher');
  const result = await client.callTool({
    name: 'moodle_call_function',
    arguments: { name: 'core_group_create_groups', arguments: { groups: [{ courseid: 2, name: 'x', description: 'y' }] } },
  });
  assert.equal(result.isError, true);
  assert.match(text(result), /denied/);
  assert.match(text(result), /read-only/i);
  await client.close();
  const records = await gw.audited();
  const denied = records.find((r) => r.event === 'tools/call' && r.moodle_function === 'core_group_create_groups');
  assert.equal(denied?.decision, 'denied');
  assert.equal(denied?.moodle_username, 'dlindqvist');
  assert.deepEqual(denied?.arg_keys, ['groups[].courseid', 'groups[].description', 'groups[].name']);
});

test('protocol version 2025-06-18 is accepted as well as 2025-11-25', async () => {
  const client = await connectClient(server.url, 'demo-student', {}, { protocolVersion: '2025-06-18' });
  assert.ok(client.transport?.sessionId);
  const { tools } = await client.listTools();
  assert.ok(tools.length > 3);
  await client.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) => postMcp(server.url, 'demo-student', body, headers);

test('session lifecycle: notifications get 202, DELETE ends the session, then it is 404', async () => {
  const init = await post(initialize);
  assert.equal(init.status, 200);
  const sessionId = init.headers.get('mcp-session-id')!;
  await init.body?.cancel();
  const notified = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  assert.equal(notified.status, 202);
  const ended = await fetch(`${server.url}/mcp`, { method: 'DELETE', headers: { authorization: 'Bearer demo-student', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } });
  assert.equal(ended.status, 200);
  const after = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  assert.equal(after.status, 404);
  const records = await gw.audited();
  assert.ok(records.some((r) => r.event === 'session.start' && r.session_id === sessionId));
  assert.ok(records.some((r) => r.event === 'session.end' && r.session_id === sessionId));
});

test('a session cannot be used by another connection, and an unknown session is 404', async () => {
  const init = await post(initialize);
  const sessionId = init.headers.get('mcp-session-id')!;
  await init.body?.cancel();
  const stolen = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sessionId, authorization: 'Bearer demo-teacher' });
  assert.equal(stolen.status, 404);
  const unknown = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' });
  assert.equal(unknown.status, 404);
});

test('a foreign Origin is refused with 403, a loopback one is accepted', async () => {
  const evil = await post(initialize, { origin: 'https://evil.example' });
  assert.equal(evil.status, 403);
  const local = await post(initialize, { origin: 'http://localhost:6274' });
  assert.equal(local.status, 200);
  await local.body?.cancel();
});

test('a Host header outside the allowlist is refused (DNS rebinding)', async () => {
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}/mcp`, { method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json', authorization: 'Bearer demo-student' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(JSON.stringify(initialize));
  });
  assert.equal(status, 403);
});

test('no credential is a 401 with WWW-Authenticate pointing to the resource metadata', async () => {
  const response = await post(initialize, { authorization: '' });
  assert.equal(response.status, 401);
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  assert.match(challenge, /resource_metadata="http:\/\/127\.0\.0\.1:3000\/\.well-known\/oauth-protected-resource\/mcp"/);
  assert.match(challenge, /scope="api\.read( api\.write)?"/);
  assert.doesNotMatch(challenge, /error=/, 'no error code when no credential was sent');
  const wrong = await post(initialize, { authorization: 'Bearer not-a-key' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

test('a request body over the limit is refused with 413; with files enabled the limit fits a files.max_upload_bytes upload', async () => {
  // The test gateway keeps the default files.max_upload_bytes (10 MiB): its base64 (13.3 MiB) plus the envelope fits.
  assert.equal(mcpBodyLimit(testConfig()), Math.ceil((10 * 1024 * 1024) / 3) * 4 + 64 * 1024);
  assert.equal(mcpBodyLimit(testConfig({ files: { enabled: false } })), 1024 * 1024, 'server.body_limit_bytes alone without files');
  assert.equal(mcpBodyLimit(testConfig({ server: { body_limit_bytes: 32 * 1024 * 1024 } })), 32 * 1024 * 1024, 'a larger body_limit_bytes wins');
  const fits = { ...initialize, params: { ...initialize.params, padding: 'x'.repeat(1_100_000) } };
  assert.notEqual((await post(fits)).status, 413, 'a 1.1 MB request carrying an upload is read');
  const big = { ...initialize, params: { ...initialize.params, padding: 'x'.repeat(mcpBodyLimit(testConfig()) + 1) } };
  const response = await post(big);
  assert.equal(response.status, 413);
});

test('health and readiness', async () => {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
  assert.equal(body.checks.policy.ok, true);
});

test('stateless mode answers without sessions', async () => {
  const stateless = await startTestGateway(testConfig({ server: { sessions: 'stateless' } }));
  const s = await listen(stateless.gateway);
  try {
    const client = await connectClient(s.url, 'demo-student');
    assert.equal(client.transport?.sessionId, undefined);
    const result = await client.callTool({ name: 'core_course_get_contents', arguments: { courseid: 2 } });
    assert.deepEqual(result.structuredContent, { result: recorded(8) });
    await client.close();
  } finally {
    await s.close();
    await stateless.close();
  }
});

test('a refused bearer credential is audited as auth.token.rejected (not as a failed sign-in), without the credential', async () => {
  const response = await post(initialize, { authorization: 'Bearer planted-secret-credential' });
  assert.equal(response.status, 401);
  const records = await gw.audited();
  const failed = records.filter((r) => r.event === 'auth.token.rejected');
  assert.ok(failed.length >= 1);
  assert.equal(failed.at(-1)?.status, 401);
  assert.equal(failed.at(-1)?.decision, 'denied');
  assert.deepEqual(records.filter((r) => r.event === 'auth.signin.failed'), []);
  assert.ok(!JSON.stringify(records).includes('planted-secret-credential'));
});

test('with expose.meta off the meta-tools are not listed and calling one is an unknown tool', async () => {
  const noMeta = await startTestGateway(testConfig({ expose: { meta: false } }));
  const s = await listen(noMeta.gateway);
  try {
    const client = await connectClient(s.url, 'demo-student');
    const { tools } = await client.listTools();
    // The file tools are no meta-tools: moodle_read_file stays (files.enabled), beside the direct tools.
    assert.deepEqual(tools.map((t) => t.name).filter((n) => n.startsWith('moodle_')), ['moodle_read_file']);
    assert.equal(tools.length, 1 + noMeta.gateway.config.expose.direct.length);
    // An unknown tool is a JSON-RPC error -32602 (MCP 2025-11-25): the SDK client throws it.
    const unknownError = (name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }).then(
        () => assert.fail(`${name} succeeded`),
        (error: { code?: number; message: string }) => error,
      );
    const unknown = await unknownError('no_such_tool', {});
    assert.equal(unknown.code, -32602);
    assert.match(unknown.message, /Unknown tool "no_such_tool"/);
    const calls: [string, Record<string, unknown>][] = [
      ['moodle_search_functions', { query: 'course' }],
      ['moodle_describe_function', { name: 'core_course_get_contents' }],
      ['moodle_call_function', { name: 'core_course_get_contents', arguments: { courseid: 2 } }],
    ];
    for (const [name, args] of calls) {
      const error = await unknownError(name, args);
      assert.equal(error.code, -32602, name);
      assert.equal(error.message, unknown.message.replace('no_such_tool', name), name);
    }
    await client.close();
  } finally {
    await s.close();
    await noMeta.close();
  }
});
