// Behaviour of the simulator (a test double of Moodle 4.5.6) beyond the recorded exchanges: Moodle's parameter
// validation, token and function errors, XML rendering, answers from the seeded site, enrolment and capability errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimulator, simulatorTokens } from '../../runtime/simulator/index.ts';
import { loadSimulatorData } from '../../runtime/simulator/data.ts';
import { exchange, recorded } from '../helpers/exchanges.ts';
import { xmlResponse } from '../../runtime/simulator/xml.ts';
import type { MultipleNode, StructureNode } from '../../runtime/simulator/descriptions.ts';

const sim = createSimulator();
const T = simulatorTokens;

async function rest(token: string | undefined, fn: string | undefined, params: Record<string, string> = {}, format: string | null = 'json') {
  const form = new URLSearchParams();
  if (token !== undefined) form.set('wstoken', token);
  if (fn !== undefined) form.set('wsfunction', fn);
  if (format) form.set('moodlewsrestformat', format);
  for (const [k, v] of Object.entries(params)) form.append(k, v);
  const response = await sim.fetch(new Request('http://moodle.test/webservice/rest/server.php', { method: 'POST', body: form }));
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), text, json: format === 'json' ? JSON.parse(text) : undefined };
}

const INVALID_PARAMETER = { exception: 'core\\exception\\invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' };

test('parameter validation follows Moodle: unknown key, missing required, wrong type, array/scalar mix-ups', async () => {
  const student = T['emma.johansson'];
  const cases: Record<string, string>[] = [
    { courseid: '2', bogus: '1' }, // unknown key
    {}, // missing required courseid
    { courseid: 'abc' }, // int expected
    { courseid: '02' }, // PHP (string)(int) check
    { 'courseid[0]': '2' }, // array where a scalar is expected
    { courseid: '2', options: 'x' }, // scalar where a list is expected
    { courseid: '2', 'options[0][name]': 'excludemodules' }, // missing required key inside a structure
    { courseid: '2', 'options[0][name]': 'exclude modules', 'options[0][value]': '1' }, // alphanum name with a space
  ];
  for (const params of cases) {
    const { status, json } = await rest(student, 'core_course_get_contents', params);
    assert.equal(status, 200);
    assert.deepEqual(json, INVALID_PARAMETER, JSON.stringify(params));
  }
});

test('booleans accept only 0/1, as Moodle does', async () => {
  const ok = await rest(T['emma.johansson'], 'core_enrol_get_users_courses', { userid: '6', returnusercount: '0' });
  assert.ok(Array.isArray(ok.json));
  const bad = await rest(T['emma.johansson'], 'core_enrol_get_users_courses', { userid: '6', returnusercount: 'true' });
  assert.deepEqual(bad.json, INVALID_PARAMETER);
});

test('defaults (VALUE_DEFAULT) are applied before matching a recorded call', async () => {
  // Exchange 5 sent returnusercount=1 and exchange 13 status=&since=0: both equal the descriptions' defaults.
  const courses = await rest(T['emma.johansson'], 'core_enrol_get_users_courses', { userid: '6' });
  assert.deepEqual(courses.json, recorded(5));
  const submissions = await rest(T.dlindqvist, 'mod_assign_get_submissions', { 'assignmentids[0]': '1' });
  assert.deepEqual(submissions.json, recorded(13));
});

test('token errors: missing or unknown token → invalidtoken (before anything else)', async () => {
  const invalid = { exception: 'core\\exception\\moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' };
  assert.deepEqual((await rest(undefined, 'core_webservice_get_site_info')).json, invalid);
  assert.deepEqual((await rest('f'.repeat(32), 'nonsense')).json, invalid);
});

test('function errors: missing wsfunction → invalidparameter, unknown → invalidrecord (external_functions)', async () => {
  assert.deepEqual((await rest(T.praman, undefined)).json, INVALID_PARAMETER);
  assert.deepEqual((await rest(T.praman, 'local_x_do')).json, {
    exception: 'dml_missing_record_exception',
    errorcode: 'invalidrecord',
    message: "Can't find data record in database table external_functions.",
  });
});

test('site info per user: userissiteadmin only for admin, the mcp service enables all 759 functions', async () => {
  for (const [username, admin] of [['admin', true], ['praman', false], ['grace.thompson', false]] as const) {
    const { json } = await rest(T[username], 'core_webservice_get_site_info');
    assert.equal(json.username, username);
    assert.equal(json.userissiteadmin, admin);
    assert.equal(json.functions.length, 759);
    assert.equal(json.release, '4.5.6 (Build: 20250811)');
  }
  const { json } = await rest(T['grace.thompson'], 'core_webservice_get_site_info');
  assert.equal(json.userid, 20);
  assert.equal(json.fullname, 'Grace Thompson');
  assert.match(json.userprivateaccesskey, /^[0-9a-f]{32}$/);
});

test('course modules by cmid and by instance come from the seeded site', async () => {
  const byCm = await rest(T['emma.johansson'], 'core_course_get_course_module', { cmid: '13' });
  assert.deepEqual(
    { id: byCm.json.cm.id, course: byCm.json.cm.course, modname: byCm.json.cm.modname, instance: byCm.json.cm.instance, name: byCm.json.cm.name },
    { id: 13, course: 2, modname: 'assign', instance: 1, name: 'Project charter' },
  );
  assert.deepEqual(byCm.json.warnings, []);
  const byInstance = await rest(T.praman, 'core_course_get_course_module_by_instance', { module: 'quiz', instance: '2' });
  assert.equal(byInstance.json.cm.id, 19);
  assert.equal(byInstance.json.cm.course, 4);
  const unknown = await rest(T.praman, 'core_course_get_course_module', { cmid: '999' });
  assert.equal(unknown.json.errorcode, 'invalidrecord');
});

test('enrolment errors for courses the user is not enrolled in', async () => {
  // emma.johansson is enrolled in PM101 (2), DS101 (4) and course 6, not WEB110 (5).
  const contents = await rest(T['emma.johansson'], 'core_course_get_contents', { courseid: '5' });
  assert.deepEqual(contents.json, {
    exception: 'core\\exception\\moodle_exception',
    errorcode: 'errorcoursecontextnotvalid',
    message: 'You cannot execute functions in the course context (course id:5). The context error message was: Course or activity not accessible.',
  });
  const cm = await rest(T['emma.johansson'], 'core_course_get_course_module', { cmid: '17' });
  assert.equal(cm.json.errorcode, 'requireloginerror');
  const quiz = await rest(T['liam.oconnor'], 'mod_quiz_get_user_best_grade', { quizid: '1' }); // enrolled in PM101: allowed
  assert.equal(quiz.json.errorcode, undefined);
  const missing = await rest(T.mokafor, 'core_course_get_contents', { courseid: '424242' });
  assert.equal(missing.json.errorcode, 'invalidrecord');
  const manager = await rest(T.mokafor, 'core_course_get_contents', { courseid: '5' }); // system manager: every course
  assert.ok(Array.isArray(manager.json));
});

test('capability errors for seeded roles: students cannot create courses, teachers cannot list all courses', async () => {
  const create = await rest(T['liam.oconnor'], 'core_course_create_courses', {
    'courses[0][fullname]': 'X',
    'courses[0][shortname]': 'X1',
    'courses[0][categoryid]': '1',
  });
  assert.deepEqual(create.json, {
    exception: 'core\\exception\\required_capability_exception',
    errorcode: 'nopermissions',
    message: 'Sorry, but you do not currently have permissions to do that (Create courses).',
  });
  const courses = await rest(T.praman, 'core_course_get_courses');
  assert.equal(courses.json.errorcode, 'nopermissions');
  const groups = await rest(T['liam.oconnor'], 'core_group_create_groups', { 'groups[0][courseid]': '2', 'groups[0][name]': 'G', 'groups[0][description]': '' });
  assert.equal(groups.json.errorcode, 'nopermissions');
});

test("a user's courses and courses by id come from the site data", async () => {
  const mine = await rest(T['liam.oconnor'], 'core_enrol_get_users_courses', { userid: '7' });
  assert.deepEqual(mine.json.map((c: { id: number }) => c.id).sort(), [2, 4]);
  assert.equal(mine.json.find((c: { id: number }) => c.id === 2).enrolledusercount, 19);
  const byId = await rest(T.mokafor, 'core_course_get_courses', { 'options[ids][0]': '5' });
  assert.deepEqual([byId.json[0].id, byId.json[0].shortname, byId.json[0].categoryid], [5, 'WEB110', 4]);
});

test('unrecorded calls get a minimal answer synthesised from the returns description; no-return functions answer null', async () => {
  const recent = await rest(T['emma.johansson'], 'core_course_get_recent_courses');
  assert.deepEqual(recent.json, []);
  const grade = await rest(T['emma.johansson'], 'core_badges_get_user_badges', {});
  assert.deepEqual(grade.json, { badges: [], warnings: [] });
  const members = await rest(T.dlindqvist, 'core_group_add_group_members', { 'members[0][groupid]': '1', 'members[0][userid]': '9' });
  assert.equal(members.text, 'null');
});

test('XML: default format, errors, and the renderer reproduces the recorded XML from the recorded JSON', async () => {
  const data = loadSimulatorData();
  const xml = await rest(T.praman, 'core_course_get_course_module', { cmid: '19' }, null);
  assert.equal(xml.type, 'application/xml; charset=utf-8');
  assert.match(xml.text, /^<\?xml version="1.0" encoding="UTF-8" \?>\n<RESPONSE>\n<SINGLE>\n<KEY name="cm"><SINGLE>\n<KEY name="id"><VALUE>19<\/VALUE>/);
  const error = await rest('bad', 'core_webservice_get_site_info', {}, 'xml');
  assert.equal(error.text, exchange(63).response_text);
  // The recording placed <USERPRIVATEACCESSKEY> unescaped into the XML; JSON and XML were recorded separately.
  const siteInfoXml = xmlResponse(exchange(1).response_json, data.functions.get('core_webservice_get_site_info')!.returns);
  assert.equal(siteInfoXml.replace('&lt;USERPRIVATEACCESSKEY&gt;', '<USERPRIVATEACCESSKEY>'), exchange(61).response_text);
  // Course 6 was created between the two recordings, which moved PM101's categorysortorder from 20003 to 20002.
  const pm101 = (exchange(3).response_json as { id: number; categorysortorder: number }[]).filter((c) => c.id === 2).map((c) => ({ ...c, categorysortorder: 20003 }));
  assert.equal(xmlResponse(pm101, data.functions.get('core_course_get_courses')!.returns), exchange(62).response_text);
});

test('GET with a query string works like POST; unknown paths are 404', async () => {
  const query = new URLSearchParams({ wstoken: T.praman, wsfunction: 'core_webservice_get_site_info', moodlewsrestformat: 'json' });
  const response = await sim.fetch(new Request(`http://moodle.test/webservice/rest/server.php?${query}`));
  assert.equal((await response.json()).username, 'praman');
  assert.equal((await sim.fetch(new Request('http://moodle.test/nope'))).status, 404);
});

test('login/token.php: demo password, admin gets its existing token, errors in the token.php shape', async () => {
  const login = async (fields: Record<string, string>) =>
    (await sim.fetch(new Request('http://moodle.test/login/token.php', { method: 'POST', body: new URLSearchParams(fields) }))).json();
  assert.deepEqual(await login({ username: 'admin', password: sim.password, service: 'mcp' }), { token: T.admin, privatetoken: null });
  assert.deepEqual(await login({ username: 'praman', password: sim.password, service: 'mcp' }), { token: T.praman, privatetoken: null });
  assert.equal((await login({ username: 'nobody', password: sim.password, service: 'mcp' })).errorcode, 'invalidlogin');
  assert.equal((await login({ username: 'praman', password: 'x', service: 'mcp' })).errorcode, 'invalidlogin');
  assert.equal((await login({ username: 'praman', password: sim.password, service: 'other' })).errorcode, 'servicenotavailable');
  assert.deepEqual(await login({ username: 'praman', password: sim.password }), {
    error: 'A required parameter (service) was missing',
    errorcode: 'missingparam',
    stacktrace: null,
    debuginfo: null,
    reproductionlink: null,
  });
});

test('simulator tokens are 32 hex digits, one per seeded user, all different', () => {
  const tokens = Object.values(T);
  assert.equal(tokens.length, Object.keys(loadSimulatorData().site.users).length);
  assert.ok(tokens.every((t) => /^[0-9a-f]{32}$/.test(t)));
  assert.equal(new Set(tokens).size, tokens.length);
});

test('debug mode explains invalidparameter in debuginfo', async () => {
  const debugSim = createSimulator({ debug: true });
  const form = new URLSearchParams({ wstoken: T.praman, wsfunction: 'core_course_get_contents', moodlewsrestformat: 'json', courseid: 'abc' });
  const body = await (await debugSim.fetch(new Request('http://moodle.test/webservice/rest/server.php', { method: 'POST', body: form }))).json();
  assert.equal(body.errorcode, 'invalidparameter');
  assert.match(body.debuginfo, /courseid/);
});

test('simulatorRoles maps the recorded roles to users and tokens', async () => {
  const { simulatorRoles } = await import('../../runtime/simulator/index.ts');
  assert.deepEqual(
    Object.fromEntries(Object.entries(simulatorRoles).map(([role, u]) => [role, u.username])),
    { admin: 'admin', manager: 'mokafor', teacher: 'dlindqvist', student: 'emma.johansson', teacher2: 'praman', student2: 'liam.oconnor' },
  );
  assert.equal(simulatorRoles.student.token, T['emma.johansson']);
});

test('over HTTP: oversized request bodies get 413, a dropped connection closes the socket without an answer', async () => {
  const { startSimulator } = await import('../../runtime/simulator/index.ts');
  const running = await startSimulator({ maxRequestBytes: 1024 });
  try {
    const big = await fetch(`${running.url}/webservice/rest/server.php`, { method: 'POST', body: 'x='.padEnd(5000, 'y') });
    assert.equal(big.status, 413);
    running.simulator.injectFault({ fault: { kind: 'drop' }, endpoint: 'token' });
    await assert.rejects(fetch(`${running.url}/login/token.php`, { method: 'POST', body: 'username=praman' }), TypeError);
    const status = await fetch(`${running.url}/login/token.php`, { method: 'POST', body: 'username=praman' });
    assert.equal((await status.json()).errorcode, 'missingparam');
    assert.deepEqual({ ...running.simulator.stats }, { rest: 0, token: 2, files: 0, other: 0 });
  } finally {
    await running.close();
  }
});

test('exchanges recorded only in XML also answer the same call in JSON, read back through the description', async () => {
  const search = await rest(T['emma.johansson'], 'core_course_search_courses', { criterianame: 'search', criteriavalue: 'data' });
  assert.equal(search.json.total, 1);
  assert.deepEqual([search.json.courses[0].id, search.json.courses[0].shortname, search.json.courses[0].categoryname], [4, 'DS101', 'Science &amp; Technology']);
  assert.deepEqual(search.json.courses[0].enrollmentmethods, ['manual']);
  assert.deepEqual(search.json.warnings, []);
  const enrol = await rest(T.dlindqvist, 'enrol_manual_enrol_users', { 'enrolments[0][roleid]': '5', 'enrolments[0][userid]': '35', 'enrolments[0][courseid]': '2' });
  assert.equal(enrol.text, 'null');
});

/**
 * XML carries text only (a PARAM_RAW value holding 1 comes back as "1") and writes absent optional keys as null,
 * empty lists or empty structures, so those count as absent here.
 */
function loose(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(loose);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, loose(v)] as const);
    const kept = entries.filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0));
    return Object.fromEntries(kept);
  }
  if (value === null || value === undefined) return null;
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

test('the XML reader inverts the XML writer on every recorded JSON answer (up to XML being text)', async () => {
  const { parseXmlResponse } = await import('../../runtime/simulator/xml-parse.ts');
  const data = loadSimulatorData();
  for (const e of data.exchanges.exchanges) {
    if (!e.function || e.is_error || !('response_json' in e)) continue;
    const returns = data.functions.get(e.function)!.returns;
    const roundTrip = parseXmlResponse(xmlResponse(e.response_json, returns), returns);
    assert.deepEqual(loose(roundTrip), loose(e.response_json), `exchange ${e.id}`);
  }
});

test('courseids lists: unreachable courses become warnings, not errors', async () => {
  const { json } = await rest(T['emma.johansson'], 'mod_assign_get_assignments', { 'courseids[0]': '4', 'courseids[1]': '5' });
  assert.deepEqual(json.warnings, [{ item: 'course', itemid: 5, warningcode: '1', message: 'No access rights in course context' }]);
  assert.deepEqual(json.courses.map((c: { id: number }) => c.id), [4], 'the reachable course is answered (demo-answers.ts)');
});

test('an empty structure is [] as PHP json_encode writes it (recorded activitybadge), synthesised or read back from XML', async () => {
  const { synthesize } = await import('../../runtime/simulator/synthesize.ts');
  const { parseXmlResponse } = await import('../../runtime/simulator/xml-parse.ts');
  const data = loadSimulatorData();
  const sections = data.functions.get('core_course_get_contents')!.returns as MultipleNode;
  const modules = (sections.content as StructureNode).keys.modules as MultipleNode;
  const badge = (modules.content as StructureNode).keys.activitybadge;
  assert.ok(data.exchanges.exchanges.some((e) => JSON.stringify(e.response_json).includes('"activitybadge":[]')), 'the recording shows []');
  assert.deepEqual(synthesize(badge), []);
  const noKeys = data.functions.get('core_admin_set_plugin_state')!.returns;
  assert.deepEqual(parseXmlResponse(xmlResponse({}, noKeys), noKeys), []);
  const emptyResult = await rest(T.admin, 'core_admin_set_plugin_state', { plugin: 'mod_forum', state: '1' });
  assert.equal(emptyResult.text, '[]');
  const filled = await rest(T['emma.johansson'], 'core_webservice_get_site_info');
  assert.equal(filled.json.username, 'emma.johansson', 'structures with keys stay objects');
});

test('a delay fault ends when the request is aborted, rejecting with the abort reason as fetch does', async () => {
  const delayed = createSimulator();
  delayed.injectFault({ fault: { kind: 'delay', ms: 60_000 }, times: 2 });
  const controller = new AbortController();
  const reason = new Error('caller gave up');
  const request = (signal: AbortSignal) => new Request('http://moodle.test/webservice/rest/server.php', { method: 'POST', body: 'wstoken=x', signal });
  const pending = delayed.fetch(request(controller.signal));
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  await assert.rejects(delayed.fetch(request(AbortSignal.abort(reason))), (error) => error === reason, 'an already aborted request');
});
