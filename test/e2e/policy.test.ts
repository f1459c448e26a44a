// The compiled Rego policy deciding real calls through the gateway (SDK client → gateway → simulator).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { simulatorRoles, simulatorTokens } from '../../runtime/simulator/index.ts';
import { policyInput } from '../../runtime/mcp/pipeline.ts';
import { listen, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway.ts';
import { answer, connectClient, postInitialize, text } from '../helpers/mcp-client.ts';

const STUDENT = simulatorTokens['emma.johansson'];
const env = { CAMPUS_KEY: 'k-campus', PM101_KEY: 'k-pm101', LIMITED_KEY: 'k-limited', ADMIN_KEY: 'k-admin', STUDENT_TOKEN: STUDENT, ADMIN_TOKEN: simulatorRoles.admin.token };
const connection = (id: string, profile: string) => ({ id, key_env: `${id.toUpperCase()}_KEY`, moodle_token_env: 'STUDENT_TOKEN', profile });

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listen>>;

before(async () => {
  const config = testConfig(
    {
      profiles: {
        default: { scopes: ['api.read'], allow: ['*'] },
        demo: { scopes: ['api.read'], allow: ['*'] },
        campus: { scopes: ['api.read'], allow: ['*'], ip_allow: ['10.0.0.0/8', '2001:db8::/32'] },
        pm101: { scopes: ['api.read'], allow: ['*'], courses: [2], ip_allow: ['127.0.0.0/8', '::1/128'] },
        limited: { scopes: ['api.read'], allow: ['core_course_*'], deny: ['core_course_get_courses'], rate_per_minute: 180, ip_allow: ['127.0.0.0/8'] },
      },
      connections: [
        connection('campus', 'campus'),
        connection('pm101', 'pm101'),
        connection('limited', 'limited'),
        { id: 'admin', key_env: 'ADMIN_KEY', moodle_token_env: 'ADMIN_TOKEN', profile: 'default' },
      ],
    },
    env,
  );
  gw = await startTestGateway(config, { env });
  server = await listen(gw.gateway, { trustProxy: 'loopback' });
});
after(async () => {
  await server.close();
  await gw.close();
});

const connect = (key: string, headers: Record<string, string> = {}) => connectClient(server.url, key, headers);
const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name: 'moodle_call_function', arguments: { name, arguments: args } });

test('a client IP outside the profile allowlist is refused; the proxy chain is read from the right', async () => {
  const outside = await connect('k-campus', { 'x-forwarded-for': '203.0.113.9' });
  const refused = await call(outside, 'core_course_get_contents', { courseid: 2 });
  assert.equal(refused.isError, true);
  assert.match(text(refused), /client IP '203\.0\.113\.9' is not in the ip_allow list/);
  // A client cannot spoof an allowed address by putting it first: the trusted proxy appended the real one.
  const spoofed = await connect('k-campus', { 'x-forwarded-for': '10.1.2.3, 203.0.113.9' });
  assert.match(text(await call(spoofed, 'core_course_get_contents', { courseid: 2 })), /203\.0\.113\.9/);
  const inside = await connect('k-campus', { 'x-forwarded-for': '10.1.2.3' });
  assert.equal((await call(inside, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
  const v6 = await connect('k-campus', { 'x-forwarded-for': '2001:db8::7' });
  assert.equal((await call(v6, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
  for (const c of [outside, spoofed, inside, v6]) await c.close();
  const records = await gw.audited();
  assert.ok(records.some((r) => r.client_ip === '203.0.113.9' && r.decision === 'denied'));
});

test('course restriction: allowed course passes; other courses are refused whether named directly, by cmid, by module instance or nested', async () => {
  const client = await connect('k-pm101');
  assert.equal((await call(client, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
  const cases: [string, Record<string, unknown>][] = [
    ['core_course_get_contents', { courseid: 4 }], // direct course id
    ['core_course_get_course_module', { cmid: 9 }], // course module of DS101 (course 4)
    ['mod_forum_get_forum_discussions', { forumid: 7 }], // forum instance 7 is in course 4
    ['mod_assign_get_assignments', { courseids: [2, 4] }], // one of several
    ['core_calendar_get_calendar_events', { events: { courseids: [4] } }], // nested
  ];
  for (const [fn, args] of cases) {
    const result = await call(client, fn, args);
    assert.equal(result.isError, true, `${fn} ${JSON.stringify(args)} must be refused`);
    assert.match(text(result), /course 4 is not allowed for profile 'pm101'/, fn);
  }
  // The same kinds of reference to the allowed course pass.
  assert.equal((await call(client, 'core_course_get_course_module', { cmid: 5 })).isError, undefined);
  assert.equal((await call(client, 'mod_forum_get_forum_discussions', { forumid: 5 })).isError, undefined);
  await client.close();
});

test('course restriction: list results are filtered to the allowed courses', async () => {
  const client = await connect('k-pm101');
  const result = await call(client, 'core_enrol_get_users_courses', { userid: 6 });
  assert.equal(result.isError, undefined, text(result));
  const courses = answer(result) as { id: number }[];
  assert.deepEqual(courses.map((c) => c.id), [2], 'Emma is enrolled in 2 and 4; only 2 is shown');
  await client.close();
});

test('course restriction: search results (a site-level function) are filtered to the allowed courses', async () => {
  // The simulator answers these two searches from recorded exchanges #10 and #65.
  const search = async (key: string, criteriavalue: string, paging: Record<string, number> = {}) => {
    const c = await connect(key);
    const result = await call(c, 'core_course_search_courses', { criterianame: 'search', criteriavalue, ...paging });
    await c.close();
    assert.equal(result.isError, undefined, text(result));
    return (answer(result) as { courses: { id: number }[] }).courses.map((course) => course.id);
  };
  assert.deepEqual(await search('k-pm101', 'project', { page: 0, perpage: 10 }), [2]);
  assert.deepEqual(await search('demo-student', 'data'), [4], 'without a restriction Moodle finds DS101 (course 4)');
  assert.deepEqual(await search('k-pm101', 'data'), [], 'DS101 (course 4) is found by Moodle but filtered out');
});

test('course restriction: a function that names no course is refused unless it is site-level', async () => {
  const client = await connect('k-pm101');
  const result = await call(client, 'core_course_get_categories', {});
  assert.equal(result.isError, true);
  assert.match(text(result), /references no course and is not a site-level function/);
  assert.equal((await call(client, 'core_webservice_get_site_info', {})).isError, undefined);
  await client.close();
});

// The default 60 s window, on a clock the test moves: rate_per_minute 3 allows three calls per window.
test('rate limit: calls over the limit are refused, then allowed again after the window', async () => {
  let clock = Date.now();
  const config = testConfig(
    {
      profiles: { default: { scopes: ['api.read'], allow: ['*'] }, limited: { scopes: ['api.read'], allow: ['core_course_*'], rate_per_minute: 3 } },
      connections: [connection('limited', 'limited')],
    },
    env,
  );
  const limitedGw = await startTestGateway(config, { env, now: () => clock });
  const limited = await listen(limitedGw.gateway);
  try {
    const client = await connectClient(limited.url, 'k-limited');
    for (let i = 0; i < 3; i++) assert.equal((await call(client, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
    const refused = await call(client, 'core_course_get_contents', { courseid: 2 });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /rate limit reached/);
    clock += 60_000;
    assert.equal((await call(client, 'core_course_get_contents', { courseid: 2 })).isError, undefined);
    await client.close();
    const records = await limitedGw.audited();
    assert.ok(records.some((r) => r.event === 'rate_limit.hit' && r.connection_id === 'limited'));
  } finally {
    await limited.close();
    await limitedGw.close();
  }
});

test('tools/list shows exactly what tools/call allows (patterns, deny wins)', async () => {
  const client = await connect('k-limited');
  const listed = await client.callTool({ name: 'moodle_search_functions', arguments: { query: 'course', limit: 50 } });
  const names = (listed.structuredContent as { functions: { name: string }[] }).functions.map((f) => f.name);
  assert.ok(names.length > 0 && names.every((n) => n.startsWith('core_course_')));
  assert.ok(!names.includes('core_course_get_courses'));
  const denied = await call(client, 'core_course_get_courses', {});
  assert.match(text(denied), /denied by pattern 'core_course_get_courses'/);
  const notAllowed = await call(client, 'mod_forum_get_forums_by_courses', { courseids: [2] });
  assert.match(text(notAllowed), /not allowed by any pattern/);
  await client.close();

  // For every profile without a course restriction and every function: listed ⇔ a call (no courses, zero usage) is allowed.
  const policy = gw.gateway.policy;
  for (const profile of ['default', 'campus', 'limited']) {
    const ctx = { connection: { id: 'x', authMethod: 'apikey' as const, profile, scopes: ['api.read' as const], moodleToken: '' }, clientIp: '10.0.0.1', requestId: 'r' };
    for (const fn of gw.gateway.catalog.functions) {
      const list = policy.decide(policyInput('tools/list', ctx, fn)).allow;
      const callable = policy.decide(policyInput('tools/call', ctx, fn)).allow;
      assert.equal(list, callable, `${profile} ${fn.name}`);
    }
  }
});

const initialize = (key: string, headers: Record<string, string> = {}) => postInitialize(server.url, key, headers);

test("a connection backed by a site administrator's Moodle token is refused by default", async () => {
  const response = await initialize('k-admin');
  assert.equal(response.status, 403);
  assert.match(((await response.json()) as { error: string }).error, /site administrator/);
});

test('demo keys are accepted from loopback only', async () => {
  const remote = await initialize('demo-student', { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(remote.status, 403);
  const local = await initialize('demo-student');
  assert.equal(local.status, 200);
  await local.body?.cancel();
});
