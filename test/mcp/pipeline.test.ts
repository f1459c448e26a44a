import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MoodleError } from '../../runtime/moodle/errors.ts';
import { argumentKeys, callFunction } from '../../runtime/mcp/pipeline.ts';
import { ctx, harness, SECRET } from './harness.ts';
import { text } from '../helpers/mcp-client.ts';

test('an allowed call reaches Moodle, returns structured content and is audited without argument values', async () => {
  const h = harness();
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'core_course_get_contents');
  assert.equal(result.isError, undefined);
  assert.deepEqual(result.structuredContent, { result: [{ id: 1, name: 'General' }] });
  assert.deepEqual(h.calls, [{ fn: 'core_course_get_contents', args: { courseid: 2 } }]);
  assert.equal(h.inputs[0].action, 'tools/call');
  assert.deepEqual(h.inputs[0].courses, [2]);
  assert.equal(h.audit.length, 1);
  const rec = h.audit[0];
  assert.equal(rec.decision, 'allowed');
  assert.deepEqual(rec.arg_keys, ['courseid']);
  assert.deepEqual(rec.course_ids, [2]);
  assert.equal(rec.moodle_username, 'emma.johansson');
  assert.ok(!JSON.stringify(rec).includes(SECRET));
});

test('a bare scalar result of a direct tool is wrapped as { result }; through moodle_call_function it is the text alone', async () => {
  const h = harness();
  const direct = await callFunction(h.deps, ctx, 'core_message_get_unread_conversations_count', {}, 'core_message_get_unread_conversations_count');
  assert.deepEqual(direct.structuredContent, { result: 3 });
  assert.equal(text(direct), '3');
  const meta = await callFunction(h.deps, ctx, 'core_message_get_unread_conversations_count', {}, 'moodle_call_function');
  assert.equal(meta.structuredContent, undefined, 'moodle_call_function declares no output schema');
  assert.equal(text(meta), '3');
});

test('invalid arguments are an isError result naming the field, and Moodle is not called', async () => {
  const h = harness();
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 'abc' }, 'core_course_get_contents');
  assert.equal(result.isError, true);
  assert.match((result.content[0] as { text: string }).text, /courseid: expected integer/);
  assert.equal(h.calls.length, 0);
  assert.equal(h.audit[0].decision, 'error');
  assert.equal(h.audit[0].status, 400);
  assert.deepEqual(h.audit[0].reasons, ['courseid: expected integer']);
  assert.ok(!JSON.stringify(h.audit[0]).includes('abc'), 'argument values stay out of the audit');
});

test('a policy denial carries the reasons to the client and the audit, and Moodle is not called', async () => {
  const h = harness();
  const result = await callFunction(h.deps, ctx, 'core_course_create_courses', { courses: [{ fullname: 'x' }] }, 'moodle_call_function');
  assert.equal(result.isError, true);
  assert.match((result.content[0] as { text: string }).text, /read-only gateway/);
  assert.equal(h.calls.length, 0);
  assert.equal(h.audit[0].decision, 'denied');
  assert.equal(h.audit[0].status, 403);
  assert.deepEqual(h.audit[0].arg_keys, ['courses[].fullname']);
  assert.equal(h.undone(), 1, 'a refused call does not count against the rate limit');
});

test('a rate-limit denial is a 429 and also records a rate_limit.hit event', async () => {
  const h = harness({ decide: () => ({ allow: false, reasons: ['rate limit: 60 calls per minute exceeded'], rate_limited: true }) });
  await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.deepEqual(h.audit.map((r) => [r.event, r.status]), [['rate_limit.hit', 429], ['tools/call', 429]]);
});

test('the policy says whether a denial is a rate limit: a reason that merely mentions one is a 403', async () => {
  const h = harness({ decide: () => ({ allow: false, reasons: ["function core_course_get_contents is denied by pattern 'rate limit'"] }) });
  await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.deepEqual(h.audit.map((r) => [r.event, r.status]), [['tools/call', 403]]);
});

test('an unknown function is an isError result, audited', async () => {
  const h = harness();
  const result = await callFunction(h.deps, ctx, 'local_nonexistent_do_something', {}, 'moodle_call_function');
  assert.equal(result.isError, true);
  assert.equal(h.audit[0].status, 404);
});

test('a Moodle error keeps its errorcode and message', async () => {
  const moodleError = new MoodleError('errorcoursecontextnotvalid', 'You cannot execute functions in the course context');
  const h = harness({ callMoodle: async () => { throw moodleError; } });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 5 }, 'x');
  assert.equal(result.isError, true);
  assert.match((result.content[0] as { text: string }).text, /errorcoursecontextnotvalid: Moodle: You cannot execute/);
  assert.equal(h.audit[0].moodle_errorcode, 'errorcoursecontextnotvalid');
  assert.equal(h.audit[0].decision, 'error');
});

test('a Moodle transport failure is a 502', async () => {
  const h = harness({ callMoodle: async () => { throw new MoodleError('timeout', 'Moodle did not answer within 30000 ms'); } });
  await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.equal(h.audit[0].status, 502);
  assert.equal(h.audit[0].moodle_errorcode, 'timeout');
});

test('an unexpected failure is logged and answered without internals', async () => {
  const logged: unknown[] = [];
  const h = harness({ callMoodle: async () => { throw new TypeError('boom'); }, logError: (e) => logged.push(e) });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.equal(result.isError, true);
  assert.doesNotMatch((result.content[0] as { text: string }).text, /boom/);
  assert.equal(logged.length, 1);
  assert.equal(h.audit[0].status, 500);
});

test('an unwritable audit trail in fail-closed mode refuses calls', async () => {
  const h = harness({ auditHealthy: () => false });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.equal(result.isError, true);
  assert.equal(h.calls.length, 0);
  assert.equal(h.audit[0].status, 503);
});

test('under a course restriction, courses are resolved with lookups and results filtered', async () => {
  let lookups: boolean | undefined;
  let filteredWith: number[] | undefined;
  const h = harness({
    courseRestriction: () => [2],
    resolveCourses: async (_f, args, _c, l) => ((lookups = l), { courses: [args.courseid as number], resolved: true }),
    filterResult: (r, _f, allowed) => ((filteredWith = allowed), r),
  });
  await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.equal(lookups, true);
  assert.deepEqual(filteredWith, [2]);
});

test('argumentKeys lists key paths, never values', () => {
  assert.deepEqual(argumentKeys({ courseid: 2, options: [{ name: 'a', value: 'secret' }], q: { ids: [1, 2] } }), [
    'courseid',
    'options[].name',
    'options[].value',
    'q.ids[]',
  ]);
});

test('Moodle receives exactly the validated value the policy decided on, not the raw arguments', async () => {
  const validated = { courseid: 2, options: [] };
  const h = harness({ validate: () => ({ ok: true, value: validated }) });
  const raw = { courseid: '2' };
  await callFunction(h.deps, ctx, 'core_course_get_contents', raw, 'core_course_get_contents');
  assert.deepEqual(h.inputs[0].courses, [2]);
  assert.equal(h.calls.length, 1);
  assert.equal(h.calls[0].args, validated, 'the very object the validator returned');
});
