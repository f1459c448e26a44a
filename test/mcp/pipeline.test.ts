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

test('a function the connected site does not offer is refused first (a 404 with the reason), audited, with no validation, rate count or Moodle call', async () => {
  let validated = 0;
  let counted = 0;
  const reason = 'the Moodle site (5.0.6) does not offer core_course_get_contents to this connection';
  const h = harness({
    missingOnSite: (_ctx, fn) => (fn.name === 'core_course_get_contents' ? reason : undefined),
    validate: (_f, args) => (validated++, { ok: true, value: args as Record<string, unknown> }),
    rateHit: async () => (counted++, { usage: { window_seconds: 60, connection_calls: 0, function_calls: 0 }, undo: async () => {} }),
  });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 'abc' }, 'core_course_get_contents');
  assert.equal(result.isError, true);
  assert.equal(text(result), `function_not_on_site: core_course_get_contents is not available on the connected Moodle site.\n- ${reason}`);
  assert.deepEqual([validated, counted, h.calls.length, h.inputs.length], [0, 0, 0, 0]);
  assert.equal(h.audit.length, 1);
  assert.deepEqual([h.audit[0].decision, h.audit[0].status, h.audit[0].reasons, h.audit[0].access, h.audit[0].arg_keys], ['error', 404, [reason], 'read', ['courseid']]);
  // Other functions go on as usual.
  const other = await callFunction(h.deps, ctx, 'core_message_get_unread_conversations_count', {}, 'x');
  assert.equal(other.isError, undefined);
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

test('under a course restriction, courses are planned as restricted and results filtered', async () => {
  let restricted: boolean | undefined;
  let filteredWith: number[] | undefined;
  const h = harness({
    courseRestriction: () => [2],
    planCourses: (_f, args, _c, r) => {
      restricted = r;
      const facts = { courses: [args.courseid as number], resolved: true };
      return { facts, pending: false, lookUp: async () => assert.fail('no lookup for course ids in the arguments') };
    },
    filterResult: (r, _f, allowed) => ((filteredWith = allowed), r),
  });
  await callFunction(h.deps, ctx, 'core_course_get_contents', { courseid: 2 }, 'x');
  assert.equal(restricted, true);
  assert.deepEqual(filteredWith, [2]);
  assert.equal(h.inputs.length, 1, 'course ids in the arguments need no first evaluation');
  assert.equal(h.inputs[0]!.courses_deferred, undefined);
});

/** A restricted harness whose plan needs lookups: `lookUp` gives `found` and counts its calls. */
function pendingHarness(found: { courses: number[]; resolved: boolean; lookups?: number; resultCheck?: boolean }, overrides: Parameters<typeof harness>[0] = {}) {
  let lookUps = 0;
  let counted = 0;
  const h = harness({
    courseRestriction: () => [2],
    planCourses: () => ({ facts: { courses: [], resolved: true }, pending: true, lookUp: async () => (lookUps++, found) }),
    countLookups: async (_c, n) => void (counted += n),
    ...overrides,
  });
  return { ...h, lookUps: () => lookUps, counted: () => counted };
}

test('a call refused before its course facts (IP, rate, patterns...) makes no lookup and names no course', async () => {
  const h = pendingHarness({ courses: [4], resolved: true, lookups: 1 }, {
    decide: (input) => (h.inputs.push(input), { allow: false, reasons: ["client IP '203.0.113.9' is not in the ip_allow list of profile 'p'"] }),
  });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', {}, 'x');
  assert.equal(result.isError, true);
  assert.equal(h.lookUps(), 0);
  assert.equal(h.calls.length, 0);
  assert.equal(h.inputs.length, 1);
  assert.equal(h.inputs[0]!.courses_deferred, true);
  assert.doesNotMatch(JSON.stringify([result, h.audit]), /course 4/);
  assert.equal(h.undone(), 1, 'the refused call does not use up the rate budget');
});

test('a call needing lookups is decided twice: without course facts, then with them; lookups count toward the rate', async () => {
  const h = pendingHarness({ courses: [2], resolved: true, lookups: 2 });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', {}, 'x');
  assert.equal(result.isError, undefined);
  assert.deepEqual(h.inputs.map((i) => i.courses_deferred === true), [true, false]);
  assert.deepEqual(h.inputs[1]!.courses, [2]);
  assert.equal(h.inputs[1]!.usage.connection_calls, 2, 'the second decision sees the lookups in the usage');
  assert.equal(h.counted(), 2);
  assert.equal(h.lookUps(), 1);
});

test('a read checked on its answer is decided a third time with the answer\'s course, and withheld when refused', async () => {
  const answers: number[][] = [];
  const h = pendingHarness({ courses: [], resolved: true, resultCheck: true }, {
    resultCourses: () => ({ courses: [3], resolved: true }),
    decide: (input) => {
      h.inputs.push(input);
      answers.push(input.courses);
      return input.courses.includes(3) ? { allow: false, reasons: ["course 3 is not allowed for profile 'p'"] } : { allow: true, reasons: [] };
    },
  });
  const result = await callFunction(h.deps, ctx, 'core_course_get_contents', {}, 'x');
  assert.equal(result.isError, true);
  assert.equal(h.calls.length, 1, 'the read reached Moodle');
  assert.equal(h.inputs[1]!.result_check, true);
  assert.deepEqual(answers, [[], [], [3]]);
  assert.doesNotMatch((result.content[0] as { text: string }).text, /General/, 'the answer is withheld');
  assert.equal(h.audit.at(-1)!.status, 403);
  assert.deepEqual(h.audit.at(-1)!.course_ids, [3]);
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
