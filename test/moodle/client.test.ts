// The Moodle REST client against the Moodle simulator (a test double of Moodle 4.5.6), in-process and over a real socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMoodleClient, isSiteAdmin, MoodleError } from '../../runtime/moodle/index.ts';
import { createSimulator, startSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { recorded } from '../helpers/exchanges.ts';

const STUDENT = simulatorTokens['emma.johansson'];
const TEACHER = simulatorTokens.dlindqvist;

function setup(options: Partial<Parameters<typeof createMoodleClient>[0]> = {}) {
  const sim = createSimulator();
  const client = createMoodleClient({ url: 'http://moodle.test/', fetch: sim.fetch, retryDelayMs: 0, ...options });
  return { sim, client };
}

async function rejection(promise: Promise<unknown>): Promise<MoodleError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MoodleError, `expected a MoodleError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

/** The token must appear nowhere in what an error carries (message, stack, cause chain). */
function assertNoToken(error: unknown, token: string) {
  assert.ok(!inspect(error, { depth: 10 }).includes(token), 'token leaked into the error');
  assert.ok(!String((error as Error).stack).includes(token));
}

test('nested arguments are form-encoded the PHP way and the recorded answer comes back', async () => {
  const { client } = setup();
  const answer = await client.call(
    TEACHER,
    'core_enrol_get_enrolled_users',
    { courseid: 2, options: [{ name: 'limitfrom', value: '0' }, { name: 'limitnumber', value: '5' }, { name: 'userfields', value: 'id,fullname,email,roles,groups' }] },
    { access: 'read' },
  );
  assert.deepEqual(answer, recorded(7));
  const courses = await client.call(simulatorTokens.admin, 'core_course_get_courses', { options: { ids: [2, 3] } }, { access: 'read' });
  assert.deepEqual(courses, recorded(3));
  const mine = await client.call(STUDENT, 'core_enrol_get_users_courses', { userid: 6, returnusercount: true });
  assert.deepEqual(mine, recorded(5));
});

test('bare scalar and null results are returned as they are', async () => {
  const { client } = setup();
  assert.equal(await client.call(STUDENT, 'core_message_get_unread_conversations_count', { useridto: 6 }, { access: 'read' }), 3);
  const enrolments = [{ roleid: 3, userid: 4, courseid: 6 }, { roleid: 5, userid: 6, courseid: 6 }];
  assert.equal(await client.call(simulatorTokens.admin, 'enrol_manual_enrol_users', { enrolments }, { access: 'write' }), null);
});

test("Moodle's errors (HTTP 200 bodies) become MoodleError with errorcode, exception and message; never retried", async () => {
  const { sim, client } = setup();
  const badToken = '0123456789abcdef0123456789abcdef';
  const invalid = await rejection(client.call(badToken, 'core_webservice_get_site_info', {}, { access: 'read' }));
  assert.equal(invalid.code, 'invalidtoken');
  assert.equal(invalid.exception, 'core\\exception\\moodle_exception');
  assert.equal(invalid.message, 'Invalid token - token not found');
  assert.equal(invalid.retryable, false);
  assert.equal(invalid.isTransport, false);
  assertNoToken(invalid, badToken);
  const notEnrolled = await rejection(client.call(STUDENT, 'core_enrol_get_enrolled_users', { courseid: 5 }, { access: 'read' }));
  assert.equal(notEnrolled.code, 'errorcoursecontextnotvalid');
  const badParam = await rejection(client.call(TEACHER, 'core_enrol_get_enrolled_users', { courseid: 'abc' }, { access: 'read' }));
  assert.equal(badParam.code, 'invalidparameter');
  assert.equal(sim.stats.rest, 3);
});

test('a timeout aborts the exchange and is not retried, even for reads', async () => {
  const { sim, client } = setup({ timeoutMs: 30 });
  sim.injectFault({ fault: { kind: 'delay', ms: 60_000 }, times: 5 });
  const error = await rejection(client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' }));
  assert.equal(error.code, 'timeout');
  assert.equal(sim.stats.rest, 1);
  assertNoToken(error, STUDENT);
});

test("the caller's signal cancels the call", async () => {
  const { sim, client } = setup();
  sim.injectFault({ fault: { kind: 'delay', ms: 60_000 } });
  const controller = new AbortController();
  const pending = client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read', signal: controller.signal });
  controller.abort();
  assert.equal((await rejection(pending)).code, 'aborted');
});

test("the caller's signal cancels the wait between retries, and no further attempt is made", async () => {
  const { sim, client } = setup({ retries: 2, retryDelayMs: 60_000 });
  sim.injectFault({ fault: { kind: 'drop' }, times: 3 });
  const controller = new AbortController();
  const pending = client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read', signal: controller.signal });
  while (sim.stats.rest === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  const error = await rejection(pending);
  assert.equal(error.code, 'aborted');
  assert.equal(error.message, 'The call to Moodle was cancelled.');
  assert.equal(sim.stats.rest, 1);
});

test('connection failures are retried for read functions only', async () => {
  const read = setup({ retries: 2 });
  read.sim.injectFault({ fault: { kind: 'drop' }, times: 2 });
  const info = (await read.client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' })) as { username: string };
  assert.equal(info.username, 'emma.johansson');
  assert.equal(read.sim.stats.rest, 3);

  const exhausted = setup({ retries: 2 });
  exhausted.sim.injectFault({ fault: { kind: 'drop' }, times: 3 });
  const error = await rejection(exhausted.client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' }));
  assert.equal(error.code, 'network');
  assert.equal(error.retryable, true);
  assert.equal(exhausted.sim.stats.rest, 3);
  assertNoToken(error, STUDENT);

  const write = setup({ retries: 2 });
  write.sim.injectFault({ fault: { kind: 'drop' } });
  const post = { discussionid: 14, postid: 34, subject: 'Re: x', message: '<p>x</p>' };
  const writeError = await rejection(write.client.call(TEACHER, 'mod_forum_add_discussion_post', post, { access: 'write' }));
  assert.equal(writeError.code, 'network');
  assert.equal(write.sim.stats.rest, 1);

  const undeclared = setup({ retries: 2 });
  undeclared.sim.injectFault({ fault: { kind: 'drop' } });
  await rejection(undeclared.client.call(STUDENT, 'core_webservice_get_site_info'));
  assert.equal(undeclared.sim.stats.rest, 1, 'a call without access: read is treated as a write');
});

test('answers past maxResponseBytes are aborted while streaming, with or without Content-Length', async () => {
  for (const declareLength of [false, true]) {
    const { sim, client } = setup({ maxResponseBytes: 100_000 });
    sim.injectFault({ fault: { kind: 'huge', bytes: 50_000_000, declareLength } });
    const error = await rejection(client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' }));
    assert.equal(error.code, 'response_too_large');
  }
  const { sim, client } = setup({ maxResponseBytes: 100_000 });
  sim.injectFault({ fault: { kind: 'huge', bytes: 90_000 } });
  assert.equal(((await client.call(STUDENT, 'core_webservice_get_site_info')) as string).length, 90_000 - 2);
});

test('HTTP errors and non-JSON answers', async () => {
  const { sim, client } = setup();
  sim.injectFault({ fault: { kind: 'status', status: 503 } });
  const status = await rejection(client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' }));
  assert.equal(status.code, 'http_status');
  assert.equal(status.status, 503);
  assert.equal(status.retryable, false);
  sim.injectFault({ fault: { kind: 'status', status: 200, body: '<html>login page</html>' } });
  assert.equal((await rejection(client.call(STUDENT, 'core_webservice_get_site_info'))).code, 'bad_json');
});

test('getSiteInfo and isSiteAdmin', async () => {
  const { client } = setup();
  const student = await client.getSiteInfo(STUDENT);
  assert.equal(student.userid, 6);
  assert.equal(isSiteAdmin(student), false);
  assert.equal(student.functions.length, 759);
  assert.equal(isSiteAdmin(await client.getSiteInfo(simulatorTokens.admin)), true);
  assert.equal(isSiteAdmin({}), true, 'unknown admin status fails closed');
});

test('tokenLogin: token for the service, invalidlogin and servicenotavailable in login/token.php shape', async () => {
  const { sim, client } = setup();
  assert.deepEqual(await client.tokenLogin('grace.thompson', sim.password), { token: simulatorTokens['grace.thompson'], privateToken: null });
  const wrong = await rejection(client.tokenLogin('grace.thompson', 'wrong-password'));
  assert.equal(wrong.code, 'invalidlogin');
  assert.equal(wrong.message, 'Invalid login, please try again');
  assert.ok(!inspect(wrong).includes('wrong-password'));
  assert.equal((await rejection(client.tokenLogin('grace.thompson', sim.password, 'nope'))).code, 'servicenotavailable');
});

test('bad inputs are refused before any request', async () => {
  const { sim, client } = setup();
  assert.equal((await rejection(client.call('', 'core_webservice_get_site_info'))).code, 'invalid_request');
  assert.equal((await rejection(client.call(STUDENT, 'core_webservice_get_site_info&x=1'))).code, 'invalid_request');
  assert.equal((await rejection(client.call(STUDENT, 'core_webservice_get_site_info', { wstoken: 'x' }))).code, 'invalid_request');
  assert.equal(sim.stats.rest, 0);
  assert.throws(() => createMoodleClient({ url: 'ftp://moodle.test' }), (e: MoodleError) => e.code === 'invalid_config');
  assert.throws(() => createMoodleClient({ url: 'https://moodle.test?x=1' }), (e: MoodleError) => e.code === 'invalid_config');
  assert.throws(() => createMoodleClient({ url: 'https://moodle.test', timeoutMs: 0 }), (e: MoodleError) => e.code === 'invalid_config');
  assert.equal(createMoodleClient({ url: 'https://moodle.test/sub/' }).url, 'https://moodle.test/sub');
  // An unparseable URL is named in the error, but never what precedes an @ (credentials).
  assert.throws(
    () => createMoodleClient({ url: 'https://admin:s3cret@moodle test' }),
    (e: MoodleError) => e.code === 'invalid_config' && !e.message.includes('s3cret') && e.message.includes('https://***@moodle test'),
  );
});

test('over a real socket (global fetch, keep-alive): answers, dropped connections retried, streaming cap', async () => {
  const running = await startSimulator();
  after(() => running.close());
  const client = createMoodleClient({ url: running.url, retryDelayMs: 0, maxResponseBytes: 1_000_000 });
  assert.deepEqual(await client.call(STUDENT, 'mod_quiz_get_user_best_grade', { quizid: 1 }, { access: 'read' }), recorded(32));
  await client.getSiteInfo(STUDENT);
  const warm = running.connections();
  for (let i = 0; i < 5; i++) await client.getSiteInfo(STUDENT);
  assert.equal(running.connections(), warm, 'sequential calls reuse kept-alive connections');
  running.simulator.injectFault({ fault: { kind: 'drop' } });
  const before = running.simulator.stats.rest;
  assert.equal(((await client.getSiteInfo(STUDENT)) as { username: string }).username, 'emma.johansson');
  assert.equal(running.simulator.stats.rest - before, 2);
  running.simulator.injectFault({ fault: { kind: 'drop' } });
  const dropped = await rejection(client.call(TEACHER, 'core_group_add_group_members', { members: [{ groupid: 7, userid: 18 }] }, { access: 'write' }));
  assert.equal(dropped.code, 'network');
  assertNoToken(dropped, TEACHER);
  running.simulator.injectFault({ fault: { kind: 'huge', bytes: 200_000_000 } });
  assert.equal((await rejection(client.getSiteInfo(STUDENT))).code, 'response_too_large');
  assert.equal(((await client.getSiteInfo(STUDENT)) as { userid: number }).userid, 6, 'the client still works after an aborted body');
});

test('redirects are not followed: the token and password never reach the target, the error names it', async () => {
  const received: string[] = [];
  const other = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"exception":"x","errorcode":"invalidtoken","message":"x"}');
    });
  });
  let status = 307;
  const moodle = createServer((req, res) => {
    req.resume();
    const { port } = other.address() as AddressInfo;
    res.writeHead(status, { location: `http://127.0.0.1:${port}/moodle${req.url}?next=secret#frag` }).end();
  });
  await Promise.all([other, moodle].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  after(() => Promise.all([other, moodle].map((s) => new Promise((resolve) => s.close(resolve)))));
  const client = createMoodleClient({ url: `http://127.0.0.1:${(moodle.address() as AddressInfo).port}`, retryDelayMs: 0 });
  const otherPort = (other.address() as AddressInfo).port;
  for (const code of [307, 302, 301, 308]) {
    status = code;
    const error = await rejection(client.call(STUDENT, 'core_webservice_get_site_info', {}, { access: 'read' }));
    assert.equal(error.code, 'http_status');
    assert.equal(error.status, code);
    assert.match(error.message, new RegExp(`HTTP ${code} \\(a redirect to http://127\\.0\\.0\\.1:${otherPort}/moodle/webservice/rest/server\\.php;`));
    assert.ok(!error.message.includes('secret') && !error.message.includes('frag'), 'the query and fragment of the target are left out');
    assertNoToken(error, STUDENT);
    const login = await rejection(client.tokenLogin('grace.thompson', 'the-password'));
    assert.equal(login.code, 'http_status');
    assert.ok(!inspect(login).includes('the-password'));
  }
  assert.deepEqual(received, [], 'the redirect target received nothing');
});
